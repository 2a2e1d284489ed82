/**
 * `meta.properties`, Kafka's identity file in each log dir (KRaft format, version=1): which
 * cluster and node the directory belongs to, so a disk moved to the wrong broker is refused.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from './file.js';
import { parseProperties } from '../util/properties.js';

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

/** A log dir's identity that does not fit this broker: another cluster, another node, a broken file. */
export class MetaPropertiesError extends Error {
  override name = 'MetaPropertiesError';
  readonly code = 'SAMSA_META_PROPERTIES';
}

/** The fields of a log dir's meta.properties, or null when the directory is not formatted. */
export async function readMetaProperties(logDir: string): Promise<Record<string, string> | null> {
  try {
    return parseProperties(await readFile(join(logDir, META_PROPERTIES), 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The cluster id of the first formatted dir among a broker's log dirs; undefined when none is. */
export async function formattedClusterId(logDirs: string[]): Promise<string | undefined> {
  for (const dir of logDirs) {
    const id = (await readMetaProperties(dir))?.['cluster.id'];
    if (id !== undefined && id !== '') return id;
  }
  return undefined;
}

/** Writes a fresh meta.properties (Kafka 4's fields, version=1) into a directory; returns its directory.id. */
export async function writeMetaProperties(logDir: string, clusterId: string, nodeId: number): Promise<string> {
  await mkdir(logDir, { recursive: true });
  const directoryId = randomKafkaUuid();
  const body = ['#', '# Written by Samsa', `cluster.id=${clusterId}`, `directory.id=${directoryId}`, `node.id=${nodeId}`, `version=${META_VERSION}`, ''].join('\n');
  await writeFileAtomic(join(logDir, META_PROPERTIES), body);
  return directoryId;
}

/**
 * Checks the log dir's meta.properties against this broker, or writes one. Returns the cluster
 * id: the file's, else `clusterId`, else a new random one. Throws MetaPropertiesError when the
 * directory belongs to another node or cluster, as Kafka refuses such a directory.
 */
export async function ensureMetaProperties(logDir: string, nodeId: number, clusterId?: string): Promise<string> {
  const path = join(logDir, META_PROPERTIES);
  const props = await readMetaProperties(logDir);
  if (props === null) {
    const id = clusterId ?? randomKafkaUuid();
    await writeMetaProperties(logDir, id, nodeId);
    return id;
  }
  const found = props['node.id'] ?? props['broker.id'];
  if (found !== String(nodeId)) {
    throw new MetaPropertiesError(
      `Stored node id ${found ?? '(none)'} in ${path} doesn't match this broker's node.id ${nodeId}. If you moved your data, set node.id=${found ?? 'N'}; for a new node, use an empty log dir.`,
    );
  }
  const existing = props['cluster.id'];
  if (existing === undefined || existing === '') throw new MetaPropertiesError(`cluster.id was not specified in ${path}; format the directory again with kafka-storage.sh format, or remove the file.`);
  if (clusterId !== undefined && clusterId !== existing) {
    throw new MetaPropertiesError(
      `Invalid cluster.id in: ${path}. Expected ${clusterId}, but read ${existing}. The log dirs of one broker must be formatted for one cluster; choose other log.dirs or format this one again.`,
    );
  }
  return existing;
}
