import { createRequire } from 'node:module';

// The native CRC-32C (SSE4.2 / NEON via napi-rs) runs at several GB/s; a JS table version caps
// near 0.8 GB/s on these machines, and every produced batch is checked once.
const require = createRequire(import.meta.url);
const native = loadNative();

/**
 * On glibc Linux the platform package is loaded directly: @node-rs/crc32's own loader first
 * checks for musl (reading /usr/bin/ldd, else a process report), which costs a broker's start-up
 * about 2 ms. Anywhere else, or if that package is missing or does not load, the loader decides.
 */
function loadNative(): { crc32c(input: Buffer, initial?: number): number } {
  if (process.platform === 'linux') {
    try {
      return require(`@node-rs/crc32-linux-${process.arch}-gnu`);
    } catch {
      // musl, or not installed: the package's loader picks the right binding.
    }
  }
  return require('@node-rs/crc32');
}

/** CRC-32C (Castagnoli) of `buf`, as an unsigned 32-bit integer. */
export function crc32c(buf: Buffer): number {
  return native.crc32c(buf) >>> 0;
}
