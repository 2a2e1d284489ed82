import { createRequire } from 'node:module';

// The native CRC-32C (SSE4.2 / NEON via napi-rs) runs at several GB/s; a JS table version caps
// near 0.8 GB/s on these machines, and every produced batch is checked once.
const require = createRequire(import.meta.url);
const native = require('@node-rs/crc32') as { crc32c(input: Buffer, initial?: number): number };

/** CRC-32C (Castagnoli) of `buf`, as an unsigned 32-bit integer. */
export function crc32c(buf: Buffer): number {
  return native.crc32c(buf) >>> 0;
}
