import { Injectable } from '@nestjs/common';
import { EventStore } from '@wharf/ports';
import { AggregateStreams } from '@wharf/runtime';
import {
  decideUpload,
  evolveUpload,
  isUploadEvent,
  type Upload,
  type UploadCommand,
  type UploadEvent,
} from './upload.decider.js';
import {
  decideArtifact,
  evolveArtifact,
  isArtifactEvent,
  type Artifact,
  type ArtifactCommand,
  type ArtifactEvent,
} from './artifact.decider.js';

/** One stream per upload session, `upload-<id>`; on the bus its events are `events.upload.<Type>`. */
export const UPLOAD_STREAM_PREFIX = 'upload-';

/** One stream per artifact, `artifact-<id>`. */
export const ARTIFACT_STREAM_PREFIX = 'artifact-';

@Injectable()
export class UploadStreams extends AggregateStreams<Upload | undefined, UploadCommand, UploadEvent> {
  constructor(store: EventStore) {
    super(store, {
      streamPrefix: UPLOAD_STREAM_PREFIX,
      initial: undefined,
      evolve: evolveUpload,
      decide: decideUpload,
      isEvent: isUploadEvent,
    });
  }
}

@Injectable()
export class ArtifactStreams extends AggregateStreams<Artifact | undefined, ArtifactCommand, ArtifactEvent> {
  constructor(store: EventStore) {
    super(store, {
      streamPrefix: ARTIFACT_STREAM_PREFIX,
      initial: undefined,
      evolve: evolveArtifact,
      decide: decideArtifact,
      isEvent: isArtifactEvent,
    });
  }
}
