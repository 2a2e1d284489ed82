/** What the benchmark parts share to compute and print their figures. */
import type { Figure } from './run.js';

/** MB is 10^6 bytes of message payload. */
export const MB = 1e6;

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** A run's seconds, records/s and MB/s, rounded as the tables print them. */
export function throughput(seconds: number, messages: number, bytes: number): Pick<Figure, 'seconds' | 'msgPerSec' | 'mbPerSec'> {
  return { seconds: round(seconds, 3), msgPerSec: Math.round(messages / seconds), mbPerSec: round((messages * bytes) / MB / seconds, 1) };
}

export function fmtRate(msgPerSec: number, mbPerSec: number): string {
  return `${Math.round(msgPerSec).toLocaleString('en-US')} msg/s (${mbPerSec.toFixed(0)} MB/s)`;
}
