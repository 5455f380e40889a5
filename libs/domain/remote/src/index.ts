export * from './remote.errors.js';
export * from './remote.events.js';
export * from './remote.fields.js';
export * from './remote.state.js';
export * from './remote.decider.js';
