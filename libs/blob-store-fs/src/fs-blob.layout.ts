import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

/**
 * Where FsBlobStore keeps things under its root:
 *
 *   <root>/
 *   ├── blobs/sha256/ab/ab12…ef     verified objects, one file per digest, fanned out by the first two hex
 *   │                               digits so that no directory holds more than a small share of them
 *   ├── staging/<random>            bytes being received, joined or thrown away; renamed into blobs/ (or
 *   │                               into an upload's parts/) once complete, removed otherwise. Only a crash
 *   │                               leaves anything here, and it is never read.
 *   └── uploads/<id>/               one multipart session
 *       ├── info.json               { "createdAt": "<ISO-8601>", "bootId": "<the machine's boot id>" }
 *       └── parts/00001 …           each part's bytes, named by its five-digit part number
 *
 * Everything lives on one filesystem, so `rename` moves a finished file into place atomically: a reader
 * finds either nothing or the complete file.
 */
export class FsBlobLayout {
  constructor(readonly root: string) {}

  get blobsDir(): string {
    return join(this.root, 'blobs', 'sha256');
  }

  /** The directory for digests that begin with the first two digits of `hex` (a fan-out name will do). */
  fanOutDir(hex: string): string {
    return join(this.blobsDir, hex.slice(0, 2));
  }

  blobPath(hex: string): string {
    return join(this.fanOutDir(hex), hex);
  }

  get stagingDir(): string {
    return join(this.root, 'staging');
  }

  newStagingPath(): string {
    return join(this.stagingDir, randomUUID());
  }

  get uploadsDir(): string {
    return join(this.root, 'uploads');
  }

  uploadDir(uploadId: string): string {
    return join(this.uploadsDir, uploadId);
  }

  uploadInfoPath(uploadId: string): string {
    return FsBlobLayout.sessionFiles(this.uploadDir(uploadId)).info;
  }

  partsDir(uploadId: string): string {
    return FsBlobLayout.sessionFiles(this.uploadDir(uploadId)).parts;
  }

  partPath(uploadId: string, partNumber: number): string {
    return join(this.partsDir(uploadId), String(partNumber).padStart(5, '0'));
  }

  /** The files of a session kept in `dir`, which is its place under uploads/ or a draft in staging/. */
  static sessionFiles(dir: string): { info: string; parts: string } {
    return { info: join(dir, 'info.json'), parts: join(dir, 'parts') };
  }

  /** The part number a file in parts/ stands for, or undefined for anything else. */
  static partNumberOf(fileName: string): number | undefined {
    return /^\d{5}$/.test(fileName) ? Number(fileName) : undefined;
  }
}
