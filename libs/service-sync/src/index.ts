export * from './sync.module.js';
