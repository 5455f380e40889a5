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
import { RegistryAccess } from './registry/registry-access.guard.js';
import { RegistryAccessLog } from './registry/registry-access.log.js';
import { RegistryHandler } from './registry/registry.handler.js';
import { RegistryServer } from './registry/registry.server.js';
import { ServedContent } from './registry/served-content.reader.js';

/**
 * The distribution service: owner of distributions, the base paths content is served at. Its writes run as
 * tasks on the `distribution` worker; its reads answer bus queries, `distribution.resolve` among them for
 * the registry API. The registry API (OCI distribution, pull) listens on its own port, registryPort.
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
    RegistryAccessLog,
    RegistryHandler,
    RegistryServer,
  ],
})
export class DistributionModule {}
