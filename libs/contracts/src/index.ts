export * from './content-unit.js';
export * from './repository.contract.js';
export * from './audit.contract.js';
export * from './errors.contract.js';
export * from './subjects.contract.js';
export * from './versions.contract.js';
export * from './tasks.contract.js';
