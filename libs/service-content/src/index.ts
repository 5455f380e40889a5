export * from './content.module.js';
