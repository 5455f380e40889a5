export * from './content-unit.js';
