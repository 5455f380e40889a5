export * from './servers.js';
