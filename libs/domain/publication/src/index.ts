export * from './publication.events.js';
export * from './publication.state.js';
export * from './publication.errors.js';
export * from './publication.decider.js';
