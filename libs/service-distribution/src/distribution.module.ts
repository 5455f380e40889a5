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
import { RegistryAccessLog } from './registry/registry-access.log.js';
import { RegistryHandler } from './registry/registry.handler.js';
import { RegistryServer } from './registry/registry.server.js';
import { ServedContent } from './registry/served-content.reader.js';
import { ReplicationHandlers } from './replication/replication.handlers.js';
import { ReplicationTargetDirectory } from './replication/replication-target-directory.projection.js';
import {
  ReplicationTargetNames,
  ReplicationTargetStreams,
} from './replication/replication-target.streams.js';
import { ReplicationTargetsService } from './replication/replication-targets.service.js';
import { ReplicationService } from './replication/replication.service.js';
import { OciLayoutService } from './replication/oci-layout.service.js';

/**
 * The distribution service: owner of distributions, the base paths content is served at. Its writes run as
 * tasks on the `distribution` worker; its reads answer bus queries, `distribution.resolve` among them for
 * the registry API. The registry API (OCI distribution, pull and push) listens on its own port, registryPort.
 * Replication targets (other registries versions are pushed to) and OCI layout exports live here too.
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
    RegistryAccessLog,
    RegistryHandler,
    RegistryServer,
    ReplicationTargetDirectory,
    ReplicationTargetStreams,
    ReplicationTargetNames,
    ReplicationTargetsService,
    ReplicationService,
    OciLayoutService,
    ReplicationHandlers,
  ],
})
export class DistributionModule {}
