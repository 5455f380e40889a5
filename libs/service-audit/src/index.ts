export * from './audit.module.js';
export * from './audit-log.js';
