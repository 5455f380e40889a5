export * from './upload.module.js';
