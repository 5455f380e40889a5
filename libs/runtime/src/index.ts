export * from './settings.js';
export * from './infrastructure.js';
export * from './queries.js';
export * from './runtime.module.js';
export * from './run-process.js';
export * from './health.controller.js';
export * from './task-worker.js';
