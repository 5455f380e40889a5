export * from './distribution.module.js';
export * from './registry/registry-access.log.js';
