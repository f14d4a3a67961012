export * from './auth.js';
export * from './codec.js';
export * from './frame-codec.js';
export * from './frames.js';
export { ranCodec } from './ran-codec.js';
export * from './requirements.js';
export * from './validate.js';
