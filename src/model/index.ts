/** The shared types of drydock: every stage takes and returns these. */
export * from './image.js';
export * from './files.js';
export * from './source.js';
export * from './packages.js';
export * from './analysis.js';
export * from './limits.js';
export * from './errors.js';
export * from './vulnerability.js';
export * from './policy.js';
