export * from './content.module.js';
export * from './content-service.context.js';
export { VersionProtection, NoVersionProtection } from './version-protection.js';
