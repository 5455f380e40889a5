import { Module } from '@nestjs/common';
import { DISTRIBUTION_WORKER } from '@wharf/contracts';
import { eventSourcedOwner, sharedBlobStore, taskWorker } from '@wharf/runtime';
import { DistributionDirectory } from './distribution-directory.projection.js';
import { DistributionNameClaims } from './distribution-name.claims.js';
import { DistributionQueriesHandler } from './distribution-queries.handler.js';
import { DistributionStreams } from './distribution.streams.js';
import { DistributionTargets } from './distribution-targets.lookup.js';
import { DistributionTasksHandler } from './distribution-tasks.handler.js';
import { DistributionsService } from './distributions.service.js';
import { PublicationDeletionsFollower } from './publication-deletions.follower.js';
import { BlobUploads } from './registry/blob-uploads.js';
import { ManifestPushes } from './registry/manifest-pushes.js';
import { PushTargets } from './registry/push-targets.js';
import { OnDemandBlobs } from './registry/on-demand.blobs.js';
import { BlobResponseWriter } from './registry/blob-response.writer.js';
import { RegistryAccess } from './registry/registry-access.guard.js';
import { RegistryPushHandler } from './registry/registry-push.handler.js';
import { RegistryUploadSweeper } from './registry/registry-upload.sweeper.js';
import { RegistryHandler } from './registry/registry.handler.js';
import { RegistryServer } from './registry/registry.server.js';
import { ServedContent } from './registry/served-content.reader.js';

/**
 * The distribution service: owner of distributions, the base paths content is served at. Its writes run as
 * tasks on the `distribution` worker; its reads answer bus queries, `distribution.resolve` among them for
 * the registry API. The registry API (OCI distribution, pull and push) listens on its own port, registryPort.
 */
@Module({
  providers: [
    ...eventSourcedOwner('distribution'),
    ...taskWorker(DISTRIBUTION_WORKER),
    DistributionStreams,
    DistributionDirectory,
    DistributionNameClaims,
    DistributionTargets,
    DistributionsService,
    DistributionTasksHandler,
    DistributionQueriesHandler,
    PublicationDeletionsFollower,
    sharedBlobStore(),
    ServedContent,
    RegistryAccess,
    BlobUploads,
    PushTargets,
    ManifestPushes,
    RegistryPushHandler,
    RegistryUploadSweeper,
    OnDemandBlobs,
    BlobResponseWriter,
    RegistryHandler,
    RegistryServer,
  ],
})
export class DistributionModule {}
