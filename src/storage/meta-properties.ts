/**
 * `meta.properties`, Kafka's identity file in each log dir (KRaft format, version=1): which
 * cluster and node the directory belongs to, so a disk moved to the wrong broker is refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './file.js';

export const META_PROPERTIES = 'meta.properties';
const META_VERSION = '1';
const UUID_BYTES = 16;

/** Kafka's Uuid.randomUuid text form: 16 random bytes in base64url, 22 characters. */
export function randomKafkaUuid(): string {
  for (;;) {
    const id = randomBytes(UUID_BYTES).toString('base64url');
    // Kafka never hands out ids starting with '-': command-line tools would read them as flags.
    if (!id.startsWith('-') && id !== 'AAAAAAAAAAAAAAAAAAAAAA' && id !== 'AAAAAAAAAAAAAAAAAAAAAQ') return id;
  }
}

/** Java properties text: `key=value` lines, `#`/`!` comments. */
export function parseProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const m = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (m !== null) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * Checks the log dir's meta.properties against this broker, or writes one. Returns the cluster
 * id: the file's, else `clusterId`, else a new random one. Throws when the directory belongs to
 * another node or cluster.
 */
export async function ensureMetaProperties(logDir: string, nodeId: number, clusterId?: string): Promise<string> {
  await mkdir(logDir, { recursive: true });
  const path = join(logDir, META_PROPERTIES);
  let text: string | null = null;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  if (text !== null) {
    const props = parseProperties(text);
    const found = props['node.id'] ?? props['broker.id'];
    if (found !== String(nodeId)) {
      throw new Error(`${path} belongs to node.id ${found ?? '(none)'}, but this broker is node.id ${nodeId}; use another log dir or fix node.id`);
    }
    const existing = props['cluster.id'];
    if (existing === undefined || existing === '') throw new Error(`${path} has no cluster.id; remove the file to start the directory afresh`);
    if (clusterId !== undefined && clusterId !== existing) {
      throw new Error(`${path} belongs to cluster ${existing}, not ${clusterId}; log dirs of one broker must share a cluster`);
    }
    return existing;
  }
  const id = clusterId ?? randomKafkaUuid();
  const body = [
    '#',
    '# Written by Samsa',
    `cluster.id=${id}`,
    `directory.id=${randomKafkaUuid()}`,
    `node.id=${nodeId}`,
    `version=${META_VERSION}`,
    '',
  ].join('\n');
  await writeFileAtomic(path, body);
  return id;
}
