export * from './distribution.model.js';
export * from './distribution.events.js';
export * from './distribution.state.js';
export * from './distribution.errors.js';
export * from './distribution.decider.js';
export * from './replication-target.fields.js';
export * from './replication-target.events.js';
export * from './replication-target.decider.js';
