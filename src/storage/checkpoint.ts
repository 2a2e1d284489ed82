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

/** Kafka's checkpoint text: version, entry count, then `topic partition offset`. */
export async function writeLogStartOffset(dir: string, offset: number): Promise<void> {
  const tp = parsePartitionDirName(basename(dir)) ?? { topic: basename(dir), partition: 0 };
  const text = `${CHECKPOINT_VERSION}\n1\n${tp.topic} ${tp.partition} ${offset}\n`;
  await writeFileAtomic(join(dir, LOG_START_OFFSET_CHECKPOINT), text);
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
