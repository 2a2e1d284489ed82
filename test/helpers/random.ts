/** A small seeded PRNG (mulberry32) so that property tests replay exactly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomInt(rand: () => number, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

export function randomBytes(rand: () => number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

/** INT64 values where encodings break: the ends of the range and of the doubles' exact integers. */
export const INT64_EDGES: readonly bigint[] = [
  0n, 1n, -1n, 2n ** 31n, -(2n ** 31n) - 1n, 2n ** 32n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n) - 1n,
  2n ** 62n + 1n, 2n ** 63n - 2n, 2n ** 63n - 1n, -(2n ** 63n), -(2n ** 63n) + 1n,
];

/** A random INT64: an edge a quarter of the time, otherwise 64 random bits. */
export function randomInt64(rand: () => number): bigint {
  if (rand() < 0.25) return INT64_EDGES[Math.floor(rand() * INT64_EDGES.length)]!;
  return randomBytes(rand, 8).readBigInt64BE(0);
}
