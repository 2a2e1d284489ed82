export * from './reader.js';
export * from './writer.js';
export * from './schema.js';
export * from './headers.js';
export * from './errors.js';
export * from './apis.js';
