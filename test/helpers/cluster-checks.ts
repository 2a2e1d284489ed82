/**
 * What cluster tests ask of a cluster through clients nobody here wrote: partition states from
 * kcat's metadata (-L -J), every record of a partition from kcat, and the check that what was
 * acknowledged is there exactly once and in order.
 */
import assert from 'node:assert/strict';
import { run } from './broker.js';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** `samsa topics --create` with replication factor 3, then waits until every ISR is full. */
export async function createReplicatedTopic(bootstrap: string, topic: string, partitionCount: number, configs: Record<string, string> = {}): Promise<void> {
  const args = ['topics', '--bootstrap-server', bootstrap, '--create', '--topic', topic, '--partitions', String(partitionCount), '--replication-factor', '3'];
  for (const [k, v] of Object.entries(configs)) args.push('--config', `${k}=${v}`);
  const r = await run(process.execPath, [CLI, ...args], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stderr);
  await waitForIsr(bootstrap, topic, 3);
}

export interface PartitionView {
  partition: number;
  leader: number;
  replicas: number[];
  isrs: number[];
}

export interface MetadataView {
  controllerid: number;
  brokers: Array<{ id: number; name: string }>;
  topics: Array<{ topic: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }>; error?: string }>;
}

/** kcat -L -J against `bootstrap` (any live broker answers). */
export async function kcatMetadata(bootstrap: string, topic?: string): Promise<MetadataView> {
  const r = await run('kcat', ['-b', bootstrap, '-L', '-J', '-m', '5', ...(topic === undefined ? [] : ['-t', topic])], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, `kcat -L failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as MetadataView;
}

export async function partitions(bootstrap: string, topic: string): Promise<PartitionView[]> {
  const m = await kcatMetadata(bootstrap, topic);
  const t = m.topics.find((x) => x.topic === topic);
  return (t?.partitions ?? [])
    .map((p) => ({ partition: p.partition, leader: p.leader, replicas: p.replicas.map((r) => r.id), isrs: p.isrs.map((r) => r.id) }))
    .sort((a, b) => a.partition - b.partition);
}

/** Waits until every partition of `topic` has a leader and `isr` in-sync replicas. */
export async function waitForIsr(bootstrap: string, topic: string, isr: number, timeoutMs = 30_000): Promise<PartitionView[]> {
  let last: PartitionView[] = [];
  await waitFor(`every partition of ${topic} to have ${isr} in-sync replicas (last seen: ${JSON.stringify(last)})`, async () => {
    try {
      last = await partitions(bootstrap, topic);
    } catch {
      return false;
    }
    return last.length > 0 && last.every((p) => p.leader >= 0 && p.isrs.length === isr);
  }, timeoutMs);
  return last;
}

/** Every record of one partition, in offset order, as `offset key value` (read to the end, then exit). */
export async function consumePartition(bootstrap: string, topic: string, partition: number): Promise<Array<{ offset: number; key: string; value: string }>> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-p', String(partition), '-o', 'beginning', '-e', '-q', '-f', '%o %k %s\n'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kcat -C failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '').map((l) => {
    const [offset, key, value] = l.split(' ');
    return { offset: Number(offset), key: key!, value: value! };
  });
}

/**
 * Every acknowledged value is in the topic exactly once, and in each partition the values (whole
 * numbers, produced in increasing order) come in increasing order: nothing lost, duplicated or
 * reordered. Values written but never acknowledged may be there too (once at most).
 */
export async function assertExactlyOnceInOrder(bootstrap: string, topic: string, partitionCount: number, acked: Iterable<number>): Promise<number> {
  const seen = new Map<number, number>();
  const counts: number[] = [];
  let total = 0;
  for (let p = 0; p < partitionCount; p++) {
    const records = await consumePartition(bootstrap, topic, p);
    let prev = -1;
    for (const r of records) {
      const v = Number(r.value);
      assert.ok(v > prev, `partition ${p}: value ${v} at offset ${r.offset} comes after ${prev} (reordered or duplicated)`);
      prev = v;
      seen.set(v, (seen.get(v) ?? 0) + 1);
      total++;
    }
    counts.push(records.length);
  }
  const missing: number[] = [];
  for (const v of acked) if (!seen.has(v)) missing.push(v);
  assert.deepEqual(missing.slice(0, 20), [], `${missing.length} acknowledged records are missing (records per partition: ${counts.join(', ')}; highest value seen ${Math.max(-1, ...seen.keys())})`);
  for (const [v, n] of seen) assert.equal(n, 1, `value ${v} is in the topic ${n} times`);
  return total;
}
