/**
 * The cleaner point of a compacted log: the offset before which the log has been compacted, so a
 * restart does not compact everything again. Kafka keeps one `cleaner-offset-checkpoint` per log
 * dir; Samsa keeps one per partition directory, in Kafka's text format (version, entry count,
 * `topic partition offset`), like the log start offset checkpoint beside it.
 */
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parsePartitionDirName } from './checkpoint.js';
import { writeFileAtomic } from './file.js';

export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
const CHECKPOINT_VERSION = 0;

export async function writeCleanerCheckpoint(dir: string, offset: number): Promise<void> {
  const tp = parsePartitionDirName(basename(dir)) ?? { topic: basename(dir), partition: 0 };
  await writeFileAtomic(join(dir, CLEANER_OFFSET_CHECKPOINT), `${CHECKPOINT_VERSION}\n1\n${tp.topic} ${tp.partition} ${offset}\n`);
}

/** The checkpointed cleaner point, or null when there is none or it cannot be read. */
export async function readCleanerCheckpoint(dir: string): Promise<number | null> {
  let text: string;
  try {
    text = await readFile(join(dir, CLEANER_OFFSET_CHECKPOINT), 'utf8');
  } catch {
    return null;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  if (lines.length < 3 || Number(lines[0]) !== CHECKPOINT_VERSION || Number(lines[1]) !== 1) return null;
  const offset = Number(lines[2]!.split(' ').pop());
  return Number.isSafeInteger(offset) && offset >= 0 ? offset : null;
}
