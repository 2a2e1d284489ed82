/**
 * What the perf-test tools measure and print, in Kafka's words and number formats: the producer's
 * window and total lines (ProducerPerformance.Stats), its throughput throttle
 * (ThroughputThrottler), and the consumer's CSV lines with their dates in a
 * java.text.SimpleDateFormat pattern (ConsumerPerformance).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { UsageError } from './common.js';

/** Latencies kept for the percentiles at most; beyond that every n-th is sampled, as Kafka does. */
const LATENCY_SAMPLES_MAX = 500_000;
const MB = 1024 * 1024;

/** Java's %.Nf: toFixed, with Java's spelling of the values that are not numbers. */
function fixed(n: number, digits: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  return n.toFixed(digits);
}

export interface ProducerSummary {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
}

/** The producer's statistics: a line per reporting window and one at the end with percentiles. */
export class ProducerStats {
  private readonly start: number;
  private readonly latencies: Int32Array;
  private readonly sampling: number;
  private iteration = 0;
  private index = 0;
  private count = 0;
  private bytes = 0;
  private maxLatency = 0;
  private totalLatency = 0;
  private windowStart: number;
  private windowCount = 0;
  private windowMaxLatency = 0;
  private windowTotalLatency = 0;
  private windowBytes = 0;

  constructor(
    numRecords: number,
    private readonly reportingIntervalMs: number,
    private readonly print: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.start = now();
    this.windowStart = this.start;
    this.sampling = Math.floor(numRecords / Math.min(numRecords, LATENCY_SAMPLES_MAX));
    this.latencies = new Int32Array(Math.floor(numRecords / this.sampling) + 1);
  }

  /** One record acknowledged `latencyMs` after it was handed over; prints a window line when one is due. */
  record(latencyMs: number, bytes: number, time: number): void {
    this.count++;
    this.bytes += bytes;
    this.totalLatency += latencyMs;
    this.maxLatency = Math.max(this.maxLatency, latencyMs);
    this.windowCount++;
    this.windowBytes += bytes;
    this.windowTotalLatency += latencyMs;
    this.windowMaxLatency = Math.max(this.windowMaxLatency, latencyMs);
    if (this.iteration % this.sampling === 0 && this.index < this.latencies.length) this.latencies[this.index++] = latencyMs;
    this.iteration++;
    if (time - this.windowStart >= this.reportingIntervalMs) {
      this.printWindow();
      this.newWindow();
    }
  }

  get recordsSent(): number {
    return this.count;
  }

  private printWindow(): void {
    const elapsed = this.now() - this.windowStart;
    const recsPerSec = (1000 * this.windowCount) / elapsed;
    const mbPerSec = (1000 * this.windowBytes) / elapsed / MB;
    this.print(
      `${this.windowCount} records sent, ${fixed(recsPerSec, 1)} records/sec (${fixed(mbPerSec, 2)} MB/sec), ` +
        `${fixed(this.windowTotalLatency / this.windowCount, 1)} ms avg latency, ${fixed(this.windowMaxLatency, 1)} ms max latency.\n`,
    );
  }

  private newWindow(): void {
    this.windowStart = this.now();
    this.windowCount = 0;
    this.windowMaxLatency = 0;
    this.windowTotalLatency = 0;
    this.windowBytes = 0;
  }

  /** The totals behind the final line, for --json. */
  summary(): ProducerSummary {
    const elapsed = this.now() - this.start;
    const [p50, p95, p99, p999] = this.percentiles([0.5, 0.95, 0.99, 0.999]) as [number, number, number, number];
    return {
      records: this.count,
      recordsPerSec: (1000 * this.count) / elapsed,
      mbPerSec: (1000 * this.bytes) / elapsed / MB,
      avgLatencyMs: this.totalLatency / this.count,
      maxLatencyMs: this.maxLatency,
      p50Ms: p50,
      p95Ms: p95,
      p99Ms: p99,
      p999Ms: p999,
    };
  }

  printTotal(): void {
    const t = this.summary();
    this.print(
      `${t.records} records sent, ${fixed(t.recordsPerSec, 1)} records/sec (${fixed(t.mbPerSec, 2)} MB/sec), ` +
        `${fixed(t.avgLatencyMs, 2)} ms avg latency, ${fixed(t.maxLatencyMs, 2)} ms max latency, ` +
        `${t.p50Ms} ms 50th, ${t.p95Ms} ms 95th, ${t.p99Ms} ms 99th, ${t.p999Ms} ms 99.9th.\n`,
    );
  }

  private percentiles(ps: number[]): number[] {
    const sorted = this.latencies.slice(0, Math.min(this.index, this.latencies.length)).sort();
    return ps.map((p) => sorted[Math.floor(p * sorted.length)] ?? 0);
  }
}

/** Kafka's ThroughputThrottler: sleeps in steps of at least 2 ms to hold a rate of records per second. */
export class Throttler {
  private static readonly SLEEP_MS_MIN = 2;
  private readonly sleepMsPerRecord: number;
  private sleepDeficitMs = 0;

  /** A negative target means no throttling. */
  constructor(
    private readonly targetPerSec: number,
    private readonly startMs: number,
  ) {
    this.sleepMsPerRecord = targetPerSec > 0 ? 1000 / targetPerSec : Infinity;
  }

  shouldThrottle(amountSoFar: number, sendStartMs: number): boolean {
    if (this.targetPerSec < 0) return false;
    const elapsedSec = (sendStartMs - this.startMs) / 1000;
    return elapsedSec > 0 && amountSoFar / elapsedSec > this.targetPerSec;
  }

  async throttle(): Promise<void> {
    this.sleepDeficitMs += this.sleepMsPerRecord;
    if (this.sleepDeficitMs < Throttler.SLEEP_MS_MIN) return;
    const ms = this.sleepDeficitMs;
    this.sleepDeficitMs = 0;
    await sleep(ms);
  }
}

export function consumerHeader(detailed: boolean): string {
  const tail = ', rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec';
  return detailed
    ? `time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${tail}\n`
    : `start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec${tail}\n`;
}

export interface ConsumerTotals {
  startMs: number;
  endMs: number;
  bytes: number;
  messages: number;
  joinTimeMs: number;
}

export interface ConsumerSummary {
  startTimeMs: number;
  endTimeMs: number;
  consumedMB: number;
  mbPerSec: number;
  consumedMessages: number;
  messagesPerSec: number;
  rebalanceTimeMs: number;
  fetchTimeMs: number;
  fetchMBPerSec: number;
  fetchMessagesPerSec: number;
}

/** The numbers of the summary row, for --json. */
export function consumerSummary(t: ConsumerTotals): ConsumerSummary {
  const elapsedSec = (t.endMs - t.startMs) / 1000;
  const fetchTimeMs = t.endMs - t.startMs - t.joinTimeMs;
  const mb = t.bytes / MB;
  return {
    startTimeMs: t.startMs,
    endTimeMs: t.endMs,
    consumedMB: mb,
    mbPerSec: mb / elapsedSec,
    consumedMessages: t.messages,
    messagesPerSec: t.messages / elapsedSec,
    rebalanceTimeMs: t.joinTimeMs,
    fetchTimeMs,
    fetchMBPerSec: mb / (fetchTimeMs / 1000),
    fetchMessagesPerSec: t.messages / (fetchTimeMs / 1000),
  };
}

/** The summary row under the header (without --show-detailed-stats). */
export function consumerTotalRow(t: ConsumerTotals, date: (ms: number) => string): string {
  const s = consumerSummary(t);
  return [
    date(t.startMs),
    date(t.endMs),
    fixed(s.consumedMB, 4),
    fixed(s.mbPerSec, 4),
    String(t.messages),
    fixed(s.messagesPerSec, 4),
    String(t.joinTimeMs),
    String(s.fetchTimeMs),
    fixed(s.fetchMBPerSec, 4),
    fixed(s.fetchMessagesPerSec, 4),
  ].join(', ') + '\n';
}

export interface ConsumerInterval {
  bytes: number;
  lastBytes: number;
  messages: number;
  lastMessages: number;
  startMs: number;
  endMs: number;
  joinTimeMs: number;
}

/** A --show-detailed-stats row for one reporting interval (thread id is always 0, as in Kafka). */
export function consumerProgressRow(i: ConsumerInterval, date: (ms: number) => string): string {
  const elapsedMs = i.endMs - i.startMs;
  const intervalMb = (i.bytes - i.lastBytes) / MB;
  const intervalMessages = i.messages - i.lastMessages;
  const fetchTimeMs = elapsedMs - i.joinTimeMs;
  return [
    date(i.endMs),
    '0',
    fixed(i.bytes / MB, 4),
    fixed((1000 * intervalMb) / elapsedMs, 4),
    String(i.messages),
    fixed((intervalMessages / elapsedMs) * 1000, 4),
    String(i.joinTimeMs),
    String(fetchTimeMs),
    fixed(fetchTimeMs <= 0 ? 0 : (1000 * intervalMb) / fetchTimeMs, 4),
    fixed(fetchTimeMs <= 0 ? 0 : (1000 * intervalMessages) / fetchTimeMs, 4),
  ].join(', ') + '\n';
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/**
 * A formatter for a java.text.SimpleDateFormat pattern in local time (Kafka's --date-format):
 * y M d E H k h K m s S a Z X and 'quoted text'. Other letters are refused, as Java refuses them.
 */
export function javaDateFormat(pattern: string): (ms: number) => string {
  const parts: Array<string | ((d: Date) => string)> = [];
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i]!;
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end < 0) throw new UsageError(`--date-format '${pattern}' has an unterminated quote.`);
      parts.push(end === i + 1 ? "'" : pattern.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (!/[A-Za-z]/.test(c)) {
      parts.push(c);
      i++;
      continue;
    }
    let n = 1;
    while (pattern[i + n] === c) n++;
    parts.push(dateField(c, n, pattern));
    i += n;
  }
  return (ms) => {
    const d = new Date(ms);
    return parts.map((p) => (typeof p === 'string' ? p : p(d))).join('');
  };
}

function dateField(c: string, n: number, pattern: string): (d: Date) => string {
  const pad = (v: number): string => String(v).padStart(n, '0');
  switch (c) {
    case 'y':
      return (d) => (n === 2 ? String(d.getFullYear() % 100).padStart(2, '0') : pad(d.getFullYear()));
    case 'M':
      return (d) => (n >= 4 ? MONTHS[d.getMonth()]! : n === 3 ? MONTHS[d.getMonth()]!.slice(0, 3) : pad(d.getMonth() + 1));
    case 'd':
      return (d) => pad(d.getDate());
    case 'E':
      return (d) => (n >= 4 ? DAYS[d.getDay()]! : DAYS[d.getDay()]!.slice(0, 3));
    case 'H':
      return (d) => pad(d.getHours());
    case 'k':
      return (d) => pad(d.getHours() === 0 ? 24 : d.getHours());
    case 'h':
      return (d) => pad(d.getHours() % 12 === 0 ? 12 : d.getHours() % 12);
    case 'K':
      return (d) => pad(d.getHours() % 12);
    case 'm':
      return (d) => pad(d.getMinutes());
    case 's':
      return (d) => pad(d.getSeconds());
    case 'S':
      return (d) => pad(d.getMilliseconds());
    case 'a':
      return (d) => (d.getHours() < 12 ? 'AM' : 'PM');
    case 'Z':
    case 'X':
      return (d) => {
        const offset = -d.getTimezoneOffset();
        if (c === 'X' && offset === 0) return 'Z';
        const abs = Math.abs(offset);
        const hh = String(Math.floor(abs / 60)).padStart(2, '0');
        const mm = String(abs % 60).padStart(2, '0');
        return `${offset < 0 ? '-' : '+'}${hh}${c === 'X' && n === 1 ? '' : c === 'X' && n >= 3 ? `:${mm}` : mm}`;
      };
    default:
      throw new UsageError(`--date-format '${pattern}': illegal pattern character '${c}' (see java.text.SimpleDateFormat).`);
  }
}
