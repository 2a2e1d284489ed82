/**
 * `samsa dump-log`: Kafka's kafka-dump-log.sh. Reads segment files offline (no broker needed):
 * a `.log` file batch by batch (and with --print-data-log record by record), or the entries of a
 * `.index` / `.timeindex` file. Reads the on-disk format directly, so it imports the protocol's
 * record codec rather than going through a client.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  BATCH_HEADER_BYTES, COMPRESSION_MASK, CONTROL_BIT, DELETE_HORIZON_BIT, LOG_OVERHEAD, TIMESTAMP_TYPE_BIT, TRANSACTIONAL_BIT,
  batchCrcValid, decodeControlRecord, decodeRecordBatches, readBatchHeader, type BatchHeader, type RecordBatch,
} from '../protocol/records/index.js';
import { bool, helpText, list, parseFlags, reportError, UsageError, writeOut, type Io, type ToolSpec } from './common.js';

export const spec: ToolSpec = {
  name: 'dump-log',
  summary: 'Print the batches and records of log segment files, read offline.',
  usage: 'samsa dump-log --files <file.log>[,<file2>] [--print-data-log]',
  flags: {
    files: { type: 'string', multiple: true, value: 'file', help: 'Segment files (.log, .index, .timeindex), comma-separated.' },
    'print-data-log': { type: 'boolean', help: 'Also print every record: offset, timestamp, key and payload.' },
    'deep-iteration': { type: 'boolean', help: 'Print every record without its key and payload.' },
  },
};

const CODEC_NAMES = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
/** Batch headers older than magic 2 are not decoded: their layout differs. */
const MAGIC_V2 = 2;
const OFFSET_INDEX_ENTRY_BYTES = 8;
const TIME_INDEX_ENTRY_BYTES = 12;

export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { values } = parseFlags(spec, argv);
    if (bool(values, 'help')) {
      io.stdout.write(helpText(spec));
      return 0;
    }
    const files = list(values, 'files').flatMap((f) => f.split(',')).map((f) => f.trim()).filter((f) => f !== '');
    if (files.length === 0) throw new UsageError(`--files is required, as in '--files data/mytopic-0/00000000000000000000.log'.`);
    const printData = bool(values, 'print-data-log');
    const deep = printData || bool(values, 'deep-iteration');
    for (const file of files) {
      const bytes = await readFile(file);
      const base = Number(basename(file).split('.')[0]);
      await writeOut(io.stdout, `Dumping ${file}\n`);
      if (file.endsWith('.log')) await writeOut(io.stdout, await dumpLog(bytes, Number.isSafeInteger(base) ? base : 0, { deep, printData }));
      else if (file.endsWith('.timeindex')) await writeOut(io.stdout, dumpTimeIndex(bytes, base));
      else if (file.endsWith('.index')) await writeOut(io.stdout, dumpOffsetIndex(bytes, base));
      else throw new UsageError(`${file}: dump-log reads .log, .index and .timeindex files.`);
    }
    return 0;
  } catch (err) {
    return reportError(err, io);
  }
}

/** Kafka's lines for a .log segment: one per batch, and with `deep` one per record. */
export async function dumpLog(bytes: Buffer, baseOffset: number, opts: { deep: boolean; printData: boolean }): Promise<string> {
  let out = `Log starting offset: ${baseOffset}\n`;
  let position = 0;
  while (bytes.length - position >= LOG_OVERHEAD) {
    const length = bytes.readInt32BE(position + 8);
    const size = LOG_OVERHEAD + length;
    if (length <= 0 || size > bytes.length - position || size < BATCH_HEADER_BYTES || bytes.readInt8(position + 16) !== MAGIC_V2) break;
    const h = readBatchHeader(bytes, position);
    const valid = batchCrcValid(bytes, position);
    out += batchLine(h, position, size, valid) + '\n';
    if (opts.deep && valid) {
      let batch: RecordBatch | undefined;
      try {
        [batch] = await decodeRecordBatches(bytes.subarray(position, position + size));
      } catch (err) {
        out += `| cannot decode the records of this batch: ${(err as Error).message}\n`;
      }
      if (batch !== undefined) out += recordLines(h, batch, opts.printData);
    }
    position += size;
  }
  if (position < bytes.length) out += `Found ${bytes.length - position} invalid bytes at the end of ${baseOffset.toString().padStart(20, '0')}.log\n`;
  return out;
}

function timestampType(h: BatchHeader): string {
  return (h.attributes & TIMESTAMP_TYPE_BIT) !== 0 ? 'LogAppendTime' : 'CreateTime';
}

function batchLine(h: BatchHeader, position: number, size: number, valid: boolean): string {
  const lastOffset = h.baseOffset + h.lastOffsetDelta;
  const lastSequence = h.baseSequence < 0 ? -1 : h.baseSequence + h.lastOffsetDelta;
  const deleteHorizon = (h.attributes & DELETE_HORIZON_BIT) !== 0 ? `OptionalLong[${h.baseTimestamp}]` : 'OptionalLong.empty';
  return (
    `baseOffset: ${h.baseOffset} lastOffset: ${lastOffset} count: ${h.recordsCount} baseSequence: ${h.baseSequence} lastSequence: ${lastSequence}` +
    ` producerId: ${h.producerId} producerEpoch: ${h.producerEpoch} partitionLeaderEpoch: ${h.partitionLeaderEpoch}` +
    ` isTransactional: ${(h.attributes & TRANSACTIONAL_BIT) !== 0} isControl: ${(h.attributes & CONTROL_BIT) !== 0} deleteHorizonMs: ${deleteHorizon}` +
    ` position: ${position} ${timestampType(h)}: ${h.maxTimestamp} size: ${size} magic: ${h.magic}` +
    ` compresscodec: ${CODEC_NAMES[h.attributes & COMPRESSION_MASK] ?? 'unknown'} crc: ${h.crc} isvalid: ${valid}`
  );
}

function recordLines(h: BatchHeader, batch: RecordBatch, printData: boolean): string {
  const logAppendTime = (h.attributes & TIMESTAMP_TYPE_BIT) !== 0;
  const control = (h.attributes & CONTROL_BIT) !== 0;
  let out = '';
  for (const r of batch.records) {
    const offset = batch.baseOffset + r.offsetDelta;
    const ts = logAppendTime ? batch.maxTimestamp : batch.baseTimestamp + r.timestampDelta;
    const sequence = batch.baseSequence < 0 ? -1 : batch.baseSequence + r.offsetDelta;
    out += `| offset: ${offset} ${timestampType(h)}: ${ts} keySize: ${r.key?.length ?? -1} valueSize: ${r.value?.length ?? -1}`;
    out += ` sequence: ${sequence} headerKeys: [${r.headers.map((x) => x.key).join(',')}]`;
    if (control) {
      try {
        const c = decodeControlRecord(r);
        out += ` endTxnMarker: ${c.commit ? 'COMMIT' : 'ABORT'} coordinatorEpoch: ${c.coordinatorEpoch}`;
      } catch {
        out += ' endTxnMarker: unknown';
      }
    } else if (printData) {
      if (r.key !== null) out += ` key: ${r.key.toString('utf8')}`;
      if (r.value !== null) out += ` payload: ${r.value.toString('utf8')}`;
    }
    out += '\n';
  }
  return out;
}

/** Entries of an offset index: absolute offset and byte position; stops at the unused zero tail. */
export function dumpOffsetIndex(bytes: Buffer, baseOffset: number): string {
  let out = '';
  for (let at = 0; at + OFFSET_INDEX_ENTRY_BYTES <= bytes.length; at += OFFSET_INDEX_ENTRY_BYTES) {
    const relative = bytes.readInt32BE(at);
    const position = bytes.readInt32BE(at + 4);
    if (at > 0 && relative === 0 && position === 0) break;
    out += `offset: ${baseOffset + relative} position: ${position}\n`;
  }
  return out;
}

/** Entries of a time index: timestamp and absolute offset; stops at the unused zero tail. */
export function dumpTimeIndex(bytes: Buffer, baseOffset: number): string {
  let out = '';
  for (let at = 0; at + TIME_INDEX_ENTRY_BYTES <= bytes.length; at += TIME_INDEX_ENTRY_BYTES) {
    const timestamp = Number(bytes.readBigInt64BE(at));
    const relative = bytes.readInt32BE(at + 8);
    if (timestamp === 0 && relative === 0) break;
    out += `timestamp: ${timestamp} offset: ${baseOffset + relative}\n`;
  }
  return out;
}

