export * from './batch-header.js';
export * from './compression.js';
export * from './record-batch.js';
