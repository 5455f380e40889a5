export * from './task.model.js';
export * from './task.events.js';
export * from './task.state.js';
export * from './task.decider.js';
