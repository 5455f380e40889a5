import { Module } from '@nestjs/common';

/**
 * The sync service. Its work arrives with later issues; today it runs, joins the bus and answers health checks
 * so that deployments and the multi-process mode have every service in place.
 */
@Module({})
export class SyncModule {}
