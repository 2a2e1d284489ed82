/** Test helpers for the storage layer: batches built by hand, temp dirs, fault-injecting files. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compress } from '../../../src/protocol/records/compression.js';
import { ManualClock, type Clock } from '../../../src/platform/clock.js';
import { crc32c } from '../../../src/util/crc32c.js';
import { silentLogger } from '../../../src/util/logger.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from '../../../src/storage/config.js';
import { type LogFile, type OpenLogFile, openLogFile } from '../../../src/storage/file.js';
import { PartitionLog, type PartitionLogDeps } from '../../../src/storage/partition-log.js';
import { forwarding } from '../../helpers/disk.js';

export interface TestRecord {
  key?: Buffer | null;
  value?: Buffer | null;
  timestamp?: number;
}

function varint(n: number): Buffer {
  let u = ((n << 1) ^ (n >> 31)) >>> 0;
  const out: number[] = [];
  while (u >= 0x80) {
    out.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  out.push(u);
  return Buffer.from(out);
}

function varlong(n: number): Buffer {
  let u = (BigInt(n) << 1n) ^ (BigInt(n) >> 63n);
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return Buffer.from(out);
}

function bytesField(b: Buffer | null | undefined): Buffer {
  if (b === null || b === undefined) return varint(-1);
  return Buffer.concat([varint(b.length), b]);
}

export function encodeRecords(records: TestRecord[], baseTimestamp: number): Buffer {
  return Buffer.concat(
    records.map((r, i) => {
      const body = Buffer.concat([
        Buffer.from([0]),
        varlong((r.timestamp ?? baseTimestamp) - baseTimestamp),
        varint(i),
        bytesField(r.key),
        bytesField(r.value === undefined ? Buffer.from(`value-${i}`) : r.value),
        varint(0),
      ]);
      return Buffer.concat([varint(body.length), body]);
    }),
  );
}

export interface BatchOptions {
  compression?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
}

/** A record batch v2 with base offset 0 and a valid CRC, as a producer sends it. */
export async function makeBatch(records: TestRecord[], opts: BatchOptions = {}): Promise<Buffer> {
  const timestamps = records.map((r) => r.timestamp ?? 1_700_000_000_000);
  const baseTimestamp = Math.min(...timestamps);
  const maxTimestamp = Math.max(...timestamps);
  const plain = encodeRecords(records, baseTimestamp);
  const codec = opts.compression ?? 0;
  const body = codec === 0 ? plain : await compress(codec, plain);
  const header = Buffer.alloc(61);
  header.writeBigInt64BE(0n, 0);
  header.writeInt32BE(61 - 12 + body.length, 8);
  header.writeInt32BE(-1, 12);
  header.writeInt8(2, 16);
  header.writeInt16BE((opts.attributes ?? 0) | codec, 21);
  header.writeInt32BE(records.length - 1, 23);
  header.writeBigInt64BE(BigInt(baseTimestamp), 27);
  header.writeBigInt64BE(BigInt(maxTimestamp), 35);
  header.writeBigInt64BE(BigInt(opts.producerId ?? -1), 43);
  header.writeInt16BE(opts.producerEpoch ?? -1, 51);
  header.writeInt32BE(opts.baseSequence ?? -1, 53);
  header.writeInt32BE(records.length, 57);
  const batch = Buffer.concat([header, body]);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** Recomputes a batch's CRC after a test edits covered bytes. */
export function fixCrc(batch: Buffer, at = 0): void {
  const size = 12 + batch.readInt32BE(at + 8);
  batch.writeUInt32BE(crc32c(batch.subarray(at + 21, at + size)), at + 17);
}

/** A batch of `n` records whose values are `size` bytes each. */
export function batchOf(n: number, size = 10, timestamp = 1_700_000_000_000): Promise<Buffer> {
  return makeBatch(Array.from({ length: n }, (_, i) => ({ value: Buffer.alloc(size, 97 + (i % 26)), timestamp })));
}

export interface BatchSummary {
  baseOffset: number;
  lastOffset: number;
  size: number;
  maxTimestamp: number;
}

/** The headers of the concatenated batches in `buf`; throws on a partial one. */
export function batchesIn(buf: Buffer): BatchSummary[] {
  const out: BatchSummary[] = [];
  for (let at = 0; at < buf.length; ) {
    const size = 12 + buf.readInt32BE(at + 8);
    if (at + size > buf.length) throw new Error(`partial batch at ${at}`);
    const baseOffset = Number(buf.readBigInt64BE(at));
    out.push({ baseOffset, lastOffset: baseOffset + buf.readInt32BE(at + 23), size, maxTimestamp: Number(buf.readBigInt64BE(at + 35)) });
    at += size;
  }
  return out;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-storage-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function testConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, fileDeleteDelayMs: 0, ...overrides };
}

export function openTestLog(dir: string, overrides: Partial<LogConfig> = {}, deps: Partial<PartitionLogDeps> = {}): Promise<PartitionLog> {
  const clock: Clock = deps.clock ?? new ManualClock();
  return PartitionLog.open(join(dir, 'topic-0'), testConfig(overrides), { clock, logger: silentLogger, ...deps });
}

/** A disk whose next writes or syncs fail with a chosen errno, to test KAFKA_STORAGE_ERROR. */
export class FaultyDisk {
  failWrites = 0;
  failSyncs = 0;
  /** Bytes a failing write still puts on disk before failing (a torn write). */
  partialBytes = 0;
  errno = 'ENOSPC';
  syncs = 0;

  readonly open: OpenLogFile = async (path, flags) => {
    const file = await openLogFile(path, flags);
    const disk = this;
    const wrapped: LogFile = {
      ...forwarding(file),
      async writev(buffers, position) {
        if (disk.failWrites > 0) {
          disk.failWrites--;
          if (disk.partialBytes > 0) {
            const all = Buffer.concat(buffers);
            await file.writev([all.subarray(0, Math.min(disk.partialBytes, all.length))], position);
          }
          throw Object.assign(new Error(`${disk.errno}: injected failure`), { code: disk.errno });
        }
        return file.writev(buffers, position);
      },
      async datasync() {
        disk.syncs++;
        if (disk.failSyncs > 0) {
          disk.failSyncs--;
          throw Object.assign(new Error('EIO: injected sync failure'), { code: 'EIO' });
        }
        return file.datasync();
      },
    };
    return wrapped;
  };
}
