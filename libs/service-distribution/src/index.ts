export * from './distribution.module.js';
