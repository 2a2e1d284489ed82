/**
 * Small files beside the segments: the per-partition log start offset checkpoint (Kafka keeps
 * one `log-start-offset-checkpoint` per log dir in the same text format) and the clean-shutdown
 * marker whose absence at open means the last segment of each partition must be recovered.
 *
 * A broker's log manager keeps one marker per log dir, `.kafka_cleanshutdown` as in Kafka,
 * written once every partition of the dir has closed cleanly and removed (durably) before any
 * partition of the dir opens. A partition log opened on its own (tests, tools) keeps its own
 * `.clean-shutdown` in its directory instead; a log manager honours (and removes) such a marker
 * left by an older version.
 */
import { rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { syncDir, writeFileAtomic } from './file.js';
import { type SmallFileReads, asyncReads } from './small-files.js';

export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
/** A partition log opened on its own: its marker, in the partition's directory. */
export const CLEAN_SHUTDOWN_MARKER = '.clean-shutdown';
/** A log manager's marker, one in each log dir: Kafka's name. */
export const LOG_DIR_CLEAN_SHUTDOWN_MARKER = '.kafka_cleanshutdown';
const CHECKPOINT_VERSION = 0;

/** Splits a partition directory name `<topic>-<partition>` at its last dash. */
export function parsePartitionDirName(name: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (m === null) return null;
  const partition = Number(m[2]);
  return Number.isSafeInteger(partition) && partition <= 0x7fffffff ? { topic: m[1]!, partition } : null;
}

/** One line of an offset checkpoint file. */
export interface PartitionOffset {
  topic: string;
  partition: number;
  offset: number;
}

/** Kafka's offset checkpoint text (OffsetCheckpointFile): version, entry count, then `topic partition offset` lines. */
export function encodeOffsetCheckpoint(entries: readonly PartitionOffset[]): string {
  return `${CHECKPOINT_VERSION}\n${entries.length}\n${entries.map((e) => `${e.topic} ${e.partition} ${e.offset}\n`).join('')}`;
}

/** Parses an offset checkpoint; throws with the reason when it is malformed. */
export function decodeOffsetCheckpoint(text: string): PartitionOffset[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines.length < 2 || lines[0]!.trim() !== String(CHECKPOINT_VERSION)) throw new Error(`not a version ${CHECKPOINT_VERSION} offset checkpoint`);
  const count = Number(lines[1]!.trim());
  if (!Number.isSafeInteger(count) || lines.length - 2 !== count) throw new Error(`expected ${lines[1]} entries but found ${lines.length - 2}`);
  return lines.slice(2).map((line) => {
    const parts = line.trim().split(/\s+/);
    const partition = Number(parts[1]);
    const offset = Number(parts[2]);
    if (parts.length !== 3 || !Number.isSafeInteger(partition) || partition < 0 || !Number.isSafeInteger(offset) || offset < 0) throw new Error(`malformed entry ${JSON.stringify(line)}`);
    return { topic: parts[0]!, partition, offset };
  });
}

export async function writeLogStartOffset(dir: string, offset: number): Promise<void> {
  const tp = parsePartitionDirName(basename(dir)) ?? { topic: basename(dir), partition: 0 };
  await writeFileAtomic(join(dir, LOG_START_OFFSET_CHECKPOINT), encodeOffsetCheckpoint([{ ...tp, offset }]));
}

/** The checkpointed log start offset, or null when there is none or it cannot be read. */
export async function readLogStartOffset(dir: string, reads: SmallFileReads = asyncReads): Promise<number | null> {
  let text: string;
  try {
    text = (await reads.read(join(dir, LOG_START_OFFSET_CHECKPOINT))).toString('utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length < 3 || Number(lines[0]) !== CHECKPOINT_VERSION || Number(lines[1]) !== 1) return null;
  const offset = Number(lines[2]!.split(' ').pop());
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : null;
}

/** True if the previous close was clean; the marker is removed (durably) either way. */
export async function takeCleanShutdownMarker(dir: string, name = CLEAN_SHUTDOWN_MARKER): Promise<boolean> {
  const path = join(dir, name);
  try {
    await asyncReads.read(path);
  } catch {
    return false;
  }
  await rm(path, { force: true });
  // Had the removal not reached the disk, a crash later would pass for a clean shutdown.
  await syncDir(dir);
  return true;
}

export async function writeCleanShutdownMarker(dir: string, name = CLEAN_SHUTDOWN_MARKER): Promise<void> {
  await writeFile(join(dir, name), '', { flush: true });
  await syncDir(dir);
}

/** Kafka's per-log-dir file of each partition's high watermark. */
export const REPLICATION_OFFSET_CHECKPOINT = 'replication-offset-checkpoint';

/** Writes a log dir's high watermarks (synced temporary file, rename, directory sync). */
export async function writeReplicationCheckpoint(logDir: string, entries: readonly PartitionOffset[]): Promise<void> {
  await writeFileAtomic(join(logDir, REPLICATION_OFFSET_CHECKPOINT), encodeOffsetCheckpoint(entries));
  await syncDir(logDir);
}

/** A log dir's high watermarks by `topic-partition`; empty when there is no file; throws when it is malformed. */
export async function readReplicationCheckpoint(logDir: string): Promise<Map<string, number>> {
  let text: string;
  try {
    text = (await asyncReads.read(join(logDir, REPLICATION_OFFSET_CHECKPOINT))).toString('utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw err;
  }
  return new Map(decodeOffsetCheckpoint(text).map((e) => [`${e.topic}-${e.partition}`, e.offset]));
}
