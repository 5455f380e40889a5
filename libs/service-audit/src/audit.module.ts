import { Module } from '@nestjs/common';
import { ownedEventStore } from '@wharf/runtime';
import { AuditService } from './audit.service.js';

@Module({ providers: [ownedEventStore('audit'), AuditService] })
export class AuditModule {}
