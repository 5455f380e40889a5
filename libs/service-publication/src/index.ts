export * from './publication.module.js';
