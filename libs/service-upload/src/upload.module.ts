import { Module } from '@nestjs/common';
import { UPLOAD_WORKER } from '@wharf/contracts';
import { eventSourcedOwner, sharedBlobStore, taskWorker } from '@wharf/runtime';
import { ArtifactContentService } from './artifact-content.service.js';
import { ArtifactContentTasksHandler } from './artifact-content-tasks.handler.js';
import { ArtifactDirectory } from './artifact-directory.projection.js';
import { ArtifactsService } from './artifacts.service.js';
import { UploadDirectory } from './upload-directory.projection.js';
import { TarballImportService } from './tarball/tarball-import.service.js';
import { TarballImportTasksHandler } from './tarball/tarball-import-tasks.handler.js';
import { UploadExpirySweeper } from './upload-expiry.sweeper.js';
import { UploadQueriesHandler } from './upload-queries.handler.js';
import { ArtifactStreams, UploadStreams } from './upload.streams.js';
import { UploadTasksHandler } from './upload-tasks.handler.js';
import { UploadsService } from './uploads.service.js';

/**
 * The upload service: owner of upload sessions and artifacts. Reads and session bookkeeping answer bus
 * queries; commits, content created from artifacts and tarball imports run as tasks on the `upload` worker; a sweep aborts
 * abandoned uploads.
 */
@Module({
  providers: [
    ...eventSourcedOwner('upload'),
    ...taskWorker(UPLOAD_WORKER),
    sharedBlobStore(),
    UploadStreams,
    ArtifactStreams,
    UploadDirectory,
    ArtifactDirectory,
    ArtifactsService,
    UploadsService,
    UploadTasksHandler,
    ArtifactContentService,
    ArtifactContentTasksHandler,
    TarballImportService,
    TarballImportTasksHandler,
    UploadQueriesHandler,
    UploadExpirySweeper,
  ],
})
export class UploadModule {}
