export * from './auth.js';
export * from './codec.js';
export * from './frames.js';
export * from './requirements.js';
export * from './validate.js';
