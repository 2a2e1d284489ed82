/**
 * The cluster part of `npm run bench` (`--only=cluster`), issue 11: etcd and three broker
 * processes (LocalCluster on free loopback ports, a temporary directory), measured with real
 * clients. Figures are printed, never asserted.
 *
 *  - throughput: kcat produces the same file (1 M × 100 B) with acks=all into a 6-partition topic
 *    of replication factor 3 and into one of replication factor 1, alternating RF1 RF3 three times
 *    on the same cluster; the ratio RF3 / RF1 is printed next to Kafka's 2014 figure (0.51);
 *  - acks=all round trip: one 100 B record per Produce, one at a time, RF1 and RF3 (what the
 *    follower fetch path adds to a single write);
 *  - failover: on a single-partition RF3 topic, 20 times: SIGKILL the leader's broker, produce
 *    with acks=all in a loop (10 ms between tries, metadata asked again before every try) until
 *    the first acknowledgement; then restart the broker and wait until it is back in the ISR.
 *    Run with the cluster's default broker.session.timeout.ms (9000, Kafka's) and with 3000.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalCluster } from '../src/cli/local-cluster.js';
import { WireClient } from '../test/helpers/broker-process.js';
import { ErrorCode, errorName } from '../src/protocol/errors.js';
import { encodeRecordBatch } from '../src/protocol/records/record-batch.js';
import type { CreateTopicsResponse } from '../src/protocol/messages/19-create-topics.js';
import type { DeleteTopicsResponse } from '../src/protocol/messages/20-delete-topics.js';
import type { ListOffsetsResponse } from '../src/protocol/messages/02-list-offsets.js';
import type { MetadataResponse, MetadataResponsePartition } from '../src/protocol/messages/03-metadata.js';
import type { ProduceResponse } from '../src/protocol/messages/00-produce.js';
import type { Figure, TargetRow, Timed } from './run.js';
import { MB, fmtRate, median, round, throughput } from './stats.js';

/** What the cluster bench borrows from bench/run.ts (passed in: run.ts runs its main on import). */
export interface ClusterBenchIo {
  quick: boolean;
  progress(msg: string): void;
  record(f: Figure): void;
  targetRow(r: TargetRow): void;
  messageFile(dir: string, messages: number, bytes: number): Promise<string>;
  timedRun(cmd: string, argv: string[]): Promise<Timed>;
  cpuSeconds(pid: number): number;
  hasKcat(): boolean;
}

const BROKERS = 3;
const PARTITIONS = 6;
/** Kafka's 2014 benchmark (Jay Kreps, "Benchmarking Apache Kafka"): one producer, 100 B records, 6 partitions. */
const KAFKA_2014 = { unreplicated: 821_557, replicated: 421_823 };
const KAFKA_2014_RATIO = KAFKA_2014.replicated / KAFKA_2014.unreplicated;

/** How long one failover may take before the bench gives up on it (and on the rest). */
const FAILOVER_TIMEOUT_MS = 60_000;
/** The produce loop's wait between tries: the resolution of the failover figure. */
const FAILOVER_RETRY_MS = 10;
/** Produce's own timeout (the broker answers REQUEST_TIMED_OUT after it) and the client's wait. */
const PRODUCE_TIMEOUT_MS = 5000;
const REQUEST_TIMEOUT_MS = 10_000;
/** kcat's produce settings, as in the single-broker rows. */
const KCAT_PRODUCE = ['-X', 'linger.ms=5', '-X', 'batch.num.messages=10000'];
/** Session timeouts the failover runs with: the cluster's default (no key set), then a shorter one. */
const DEFAULT_SESSION = 'default (9000)';

interface Settings {
  messages: number;
  bytes: number;
  rounds: number;
  roundTrips: number;
  kills: Array<{ label: string; sessionTimeoutMs: number | null; kills: number }>;
}

function settings(quick: boolean): Settings {
  return quick
    ? { messages: 200_000, bytes: 100, rounds: 1, roundTrips: 200, kills: [{ label: DEFAULT_SESSION, sessionTimeoutMs: null, kills: 3 }, { label: '3000', sessionTimeoutMs: 3000, kills: 3 }] }
    : { messages: 1_000_000, bytes: 100, rounds: 3, roundTrips: 1000, kills: [{ label: DEFAULT_SESSION, sessionTimeoutMs: null, kills: 20 }, { label: '3000', sessionTimeoutMs: 3000, kills: 20 }] };
}

export async function benchCluster(io: ClusterBenchIo, workDir: string): Promise<void> {
  const s = settings(io.quick);
  let cluster: LocalCluster;
  const dir = await mkdtemp(join(tmpdir(), 'samsa-bench-cluster-'));
  try {
    try {
      // No automatic preferred-leader election during the bench: its 300 s timer would move
      // leaders in the middle of a measurement. Everything else is the brokers' defaults.
      cluster = await startCluster(io, dir, { 'auto.leader.rebalance.enable': 'false' });
    } catch (err) {
      io.targetRow({ measure: 'cluster rows', samsa: 'skipped', reference: '', ratio: '', target: '', met: `skipped: ${(err as Error).message.split('\n')[0]}` });
      return;
    }
    try {
      if (io.hasKcat()) await benchReplicatedThroughput(io, cluster, s, workDir);
      else io.targetRow({ measure: 'cluster produce RF3 vs RF1', samsa: 'skipped', reference: '', ratio: '', target: '', met: 'skipped: kcat is not on PATH' });
      await benchRoundTrips(io, cluster, s);
      const first = s.kills[0]!;
      await benchFailover(io, cluster, first.label, first.kills);
    } finally {
      await cluster.stop();
    }
    for (const k of s.kills.slice(1)) {
      const d = join(dir, `session-${k.label}`);
      const c = await startCluster(io, d, { 'auto.leader.rebalance.enable': 'false', 'broker.session.timeout.ms': String(k.sessionTimeoutMs) });
      try {
        await benchFailover(io, c, k.label, k.kills);
      } finally {
        await c.stop();
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function startCluster(io: ClusterBenchIo, dir: string, overrides: Record<string, string>): Promise<LocalCluster> {
  const started = performance.now();
  const c = await LocalCluster.start({ brokers: BROKERS, dir, basePort: 0, etcdPort: 0, overrides, env: { SAMSA_LOG_LEVEL: 'warn' } });
  io.progress(`cluster of ${BROKERS} brokers (${c.bootstrap}) and etcd (${c.etcd.endpoint}) up in ${Math.round(performance.now() - started)} ms; keys: ${JSON.stringify(overrides)}`);
  return c;
}

// ---- the wire: metadata, topics, produce ----------------------------------------------------------

/** One connection per broker, made when first needed and dropped on any failure. */
class Connections {
  private readonly open = new Map<number, WireClient>();
  constructor(private readonly c: LocalCluster) {}

  async get(id: number): Promise<WireClient> {
    let w = this.open.get(id);
    if (w === undefined) {
      w = await WireClient.connect(this.c.port(id), this.c.host);
      this.open.set(id, w);
    }
    return w;
  }

  async request<T>(id: number, apiKey: number, version: number, body: object, timeoutMs = REQUEST_TIMEOUT_MS): Promise<T> {
    try {
      return await (await this.get(id)).request<T>(apiKey, version, body, timeoutMs);
    } catch (err) {
      this.drop(id);
      throw err;
    }
  }

  drop(id: number): void {
    this.open.get(id)?.close();
    this.open.delete(id);
  }

  closeAll(): void {
    for (const id of [...this.open.keys()]) this.drop(id);
  }
}

interface TopicView {
  controllerId: number;
  partitions: MetadataResponsePartition[];
}

/** Metadata v9 for one topic from broker `id`. */
async function metadata(conns: Connections, id: number, topic: string): Promise<TopicView> {
  const r = await conns.request<MetadataResponse>(id, 3, 9, { topics: [{ name: topic }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false });
  const t = r.topics.find((x) => x.name === topic);
  return { controllerId: r.controllerId, partitions: [...(t?.partitions ?? [])].sort((a, b) => a.partitionIndex - b.partitionIndex) };
}

/** Metadata from the first of `ids` that answers. */
async function metadataFromAny(conns: Connections, ids: number[], topic: string): Promise<TopicView | null> {
  for (const id of ids) {
    try {
      return await metadata(conns, id, topic);
    } catch {
      // that broker is down or restarting: the next one
    }
  }
  return null;
}

/** Waits until every running broker reports every partition of `topic` with a leader and `isr` in-sync replicas. */
async function waitForIsr(conns: Connections, c: LocalCluster, topic: string, partitions: number, isr: number, timeoutMs = 60_000): Promise<TopicView> {
  const deadline = Date.now() + timeoutMs;
  let last: TopicView | null = null;
  for (;;) {
    let ok = true;
    for (const id of c.brokerIds.filter((b) => c.running(b))) {
      try {
        last = await metadata(conns, id, topic);
        ok &&= last.partitions.length === partitions && last.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0 && p.isrNodes.length === isr);
      } catch {
        ok = false;
      }
      if (!ok) break;
    }
    if (ok && last !== null) return last;
    if (Date.now() > deadline) throw new Error(`${topic}: not every partition had a leader and ${isr} in-sync replicas within ${timeoutMs} ms (last seen ${JSON.stringify(last?.partitions.map((p) => ({ p: p.partitionIndex, leader: p.leaderId, isr: p.isrNodes })))})`);
    await sleep(50);
  }
}

async function createTopic(conns: Connections, c: LocalCluster, name: string, numPartitions: number, replicationFactor: number): Promise<TopicView> {
  const resp = await conns.request<CreateTopicsResponse>(c.brokerIds[0]!, 19, 5, {
    topics: [{ name, numPartitions, replicationFactor, assignments: [], configs: [] }], timeoutMs: 30_000, validateOnly: false,
  }, 40_000);
  const t = resp.topics[0]!;
  if (t.errorCode !== 0) throw new Error(`creating ${name}: error ${t.errorCode} ${t.errorMessage}`);
  return waitForIsr(conns, c, name, numPartitions, replicationFactor);
}

async function deleteTopic(io: ClusterBenchIo, conns: Connections, c: LocalCluster, name: string): Promise<void> {
  try {
    const resp = await conns.request<DeleteTopicsResponse>(c.brokerIds[0]!, 20, 5, { topics: [], topicNames: [name], timeoutMs: 30_000 }, 40_000);
    const e = resp.responses[0]!.errorCode;
    if (e !== 0) io.progress(`deleting ${name}: error ${e}`);
  } catch (err) {
    io.progress(`deleting ${name}: ${(err as Error).message}`);
  }
}

/**
 * Produces one record with acks=all to every partition of a new topic, retrying NOT_LEADER_OR_FOLLOWER
 * every millisecond; the ms from the call until the last partition acknowledged. A new topic is
 * not ready for acks=all when Metadata says so: a leader names itself before it has applied the
 * leadership, and a follower first fetches the new partition only after its fetcher's Fetch in
 * flight returns (up to replica.fetch.wait.max.ms) or after replica.fetch.backoff.ms when it
 * asked the leader too early. The throughput runs start after this, so they measure replication,
 * not that start.
 */
async function readyForAcksAll(conns: Connections, view: TopicView, topic: string): Promise<{ ms: number; notLeader: number }> {
  const records = await encodeRecordBatch([{ value: Buffer.alloc(100, 'w') }]);
  const t0 = performance.now();
  let notLeader = 0;
  await Promise.all(view.partitions.map(async (p) => {
    for (;;) {
      const e = await produce(conns, p.leaderId, topic, p.partitionIndex, -1, records);
      if (e === 0) return;
      if (e !== ErrorCode.NOT_LEADER_OR_FOLLOWER) throw new Error(`${topic}-${p.partitionIndex}: the first acks=all produce answered ${errorName(e)}`);
      notLeader++;
      await sleep(1);
    }
  }));
  return { ms: performance.now() - t0, notLeader };
}

/** Sum of the high watermarks of `topic`, each partition asked of its leader. */
async function messagesIn(conns: Connections, view: TopicView, topic: string): Promise<number> {
  let sum = 0;
  for (const p of view.partitions) {
    const resp = await conns.request<ListOffsetsResponse>(p.leaderId, 2, 5, {
      replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: p.partitionIndex, currentLeaderEpoch: -1, timestamp: -1 }] }],
    });
    const r = resp.topics[0]!.partitions[0]!;
    if (r.errorCode !== 0) throw new Error(`ListOffsets ${topic}-${p.partitionIndex} on broker ${p.leaderId}: error ${r.errorCode}`);
    sum += Number(r.offset);
  }
  return sum;
}

/** One Produce of `records` to partition `partition` of `topic` on broker `id`; the partition's error code. */
async function produce(conns: Connections, id: number, topic: string, partition: number, acks: number, records: Buffer): Promise<number> {
  const resp = await conns.request<ProduceResponse>(id, 0, 9, { transactionalId: null, acks, timeoutMs: PRODUCE_TIMEOUT_MS, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return resp.responses[0]!.partitionResponses[0]!.errorCode;
}

function leaderSpread(view: TopicView): string {
  const n = new Map<number, number>();
  for (const p of view.partitions) n.set(p.leaderId, (n.get(p.leaderId) ?? 0) + 1);
  return [...n.entries()].sort((a, b) => a[0] - b[0]).map(([id, k]) => `${k} on broker ${id}`).join(', ');
}

function brokerCpu(io: ClusterBenchIo, c: LocalCluster): number {
  let sum = 0;
  for (const id of c.brokerIds) {
    const pid = c.pid(id);
    if (pid !== null) sum += io.cpuSeconds(pid);
  }
  return sum;
}

// ---- throughput: RF3 against RF1 ------------------------------------------------------------------

async function benchReplicatedThroughput(io: ClusterBenchIo, c: LocalCluster, s: Settings, workDir: string): Promise<void> {
  const conns = new Connections(c);
  const file = await io.messageFile(workDir, s.messages, s.bytes);
  const secs = new Map<number, number[]>([[1, []], [3, []]]);
  const cpu = new Map<number, number[]>([[1, []], [3, []]]);
  const clientCpu = new Map<number, number[]>([[1, []], [3, []]]);
  const notes = new Map<number, string[]>([[1, []], [3, []]]);
  const readyMs = new Map<number, number[]>([[1, []], [3, []]]);
  const notLeaders = new Map<number, number>([[1, 0], [3, 0]]);
  try {
    for (let round = 0; round < s.rounds; round++) {
      for (const rf of [1, 3]) {
        const topic = `cluster-rf${rf}-${round}`;
        const view = await createTopic(conns, c, topic, PARTITIONS, rf);
        if (round === 0) notes.get(rf)!.push(`leaders: ${leaderSpread(view)}`);
        const ready = await readyForAcksAll(conns, view, topic);
        readyMs.get(rf)!.push(ready.ms);
        notLeaders.set(rf, notLeaders.get(rf)! + ready.notLeader);
        const before = brokerCpu(io, c);
        const r = await io.timedRun('kcat', ['-P', '-b', c.bootstrap, '-t', topic, '-X', 'acks=all', ...KCAT_PRODUCE, '-l', file]);
        cpu.get(rf)!.push(brokerCpu(io, c) - before);
        if (r.cpu !== undefined) clientCpu.get(rf)!.push(r.cpu);
        secs.get(rf)!.push(r.seconds);
        const stored = await messagesIn(conns, view, topic);
        if (r.code !== 0) notes.get(rf)!.push(`kcat exited ${r.code}: ${r.stderr.trim().slice(0, 160)}`);
        // One record per partition came from readyForAcksAll.
        if (stored !== s.messages + PARTITIONS) notes.get(rf)!.push(`round ${round}: the leaders' high watermarks add up to ${stored} of ${s.messages + PARTITIONS}`);
        io.progress(`cluster produce RF${rf} round ${round}: ${r.seconds.toFixed(3)} s`);
        // Dropped so that each run writes into page cache the last one freed (see Target.dropTopic in run.ts).
        await deleteTopic(io, conns, c, topic);
      }
    }
  } finally {
    conns.closeAll();
    await rm(file, { force: true });
  }
  const rate = new Map<number, number>();
  for (const rf of [1, 3]) {
    const sec = median(secs.get(rf)!);
    rate.set(rf, s.messages / sec);
    io.record({
      section: 'produce', client: 'kcat→cluster', what: `${s.messages} × ${s.bytes} B, replication factor ${rf}, ${BROKERS} brokers`, messages: s.messages, messageBytes: s.bytes,
      partitions: PARTITIONS, acks: 'all', ...throughput(sec, s.messages, s.bytes),
      brokerCpuSeconds: round(median(cpu.get(rf)!), 2), clientCpuSeconds: clientCpu.get(rf)!.length > 0 ? round(median(clientCpu.get(rf)!), 2) : undefined,
      note: [`median of ${s.rounds}, alternating RF1 RF3; ${secs.get(rf)!.map((v) => v.toFixed(2)).join(', ')} s; broker CPU is the sum of the three`, cpuFloor(median(cpu.get(rf)!), clientCpu.get(rf)!), ...notes.get(rf)!].filter((x) => x !== undefined).join('; '),
    });
  }
  for (const rf of [1, 3]) {
    const ms = readyMs.get(rf)!;
    io.record({ section: 'cluster', client: 'wire', what: `new ${PARTITIONS}-partition topic, replication factor ${rf}: from every broker's Metadata showing each partition's leader and full ISR to an acks=all record acknowledged on every partition`, value: Math.round(median(ms)), unit: 'ms (median)', note: `${ms.map((x) => Math.round(x)).join(', ')} ms over ${ms.length} topics (the throughput runs start after it); ${notLeaders.get(rf)} answers NOT_LEADER_OR_FOLLOWER from the leader Metadata named` });
  }
  const ratio = rate.get(3)! / rate.get(1)!;
  io.targetRow({
    measure: `produce ${s.bytes} B, ${PARTITIONS} partitions, acks=all, ${BROKERS} brokers: replication factor 3 vs 1`,
    samsa: `RF3 ${fmtRate(rate.get(3)!, (rate.get(3)! * s.bytes) / MB)}`,
    reference: `RF1 ${fmtRate(rate.get(1)!, (rate.get(1)! * s.bytes) / MB)}; Kafka 2014: ${KAFKA_2014.replicated.toLocaleString('en-US')} vs ${KAFKA_2014.unreplicated.toLocaleString('en-US')} records/s = ${KAFKA_2014_RATIO.toFixed(2)}`,
    ratio: ratio.toFixed(2),
    target: `> ${KAFKA_2014_RATIO.toFixed(2)} (Kafka 2014)`,
    met: ratio > KAFKA_2014_RATIO ? 'met' : 'NOT met',
  });
}

/** On this machine's cores a run cannot finish faster than the processes' CPU time spread over all of them. */
function cpuFloor(brokerCpu: number, clientCpu: number[]): string | undefined {
  if (clientCpu.length === 0) return undefined;
  const cores = cpus().length;
  return `CPU floor (brokers + kcat) / ${cores} cores = ${((brokerCpu + median(clientCpu)) / cores).toFixed(2)} s`;
}


// ---- one write at a time: what acks=all adds --------------------------------------------------------

async function benchRoundTrips(io: ClusterBenchIo, c: LocalCluster, s: Settings): Promise<void> {
  const conns = new Connections(c);
  const records = await encodeRecordBatch([{ value: Buffer.alloc(100, 'r') }]);
  try {
    for (const [rf, acks] of [[1, -1], [3, 1], [3, -1]] as const) {
      const topic = `cluster-roundtrip-rf${rf}-acks${acks}`;
      const view = await createTopic(conns, c, topic, 1, rf);
      const leader = view.partitions[0]!.leaderId;
      await readyForAcksAll(conns, view, topic);
      // A few untimed writes first: connections, JIT.
      for (let i = 0; i < 20; i++) await produce(conns, leader, topic, 0, acks, records);
      const times: number[] = [];
      const errors = new Map<number, number>();
      for (let i = 0; i < s.roundTrips; i++) {
        const t0 = performance.now();
        const e = await produce(conns, leader, topic, 0, acks, records);
        times.push(performance.now() - t0);
        if (e !== 0) errors.set(e, (errors.get(e) ?? 0) + 1);
      }
      const q = quantiles(times);
      const what = `acks=${acks === -1 ? 'all' : acks} produce round trip, RF ${rf}, one 100 B record per request, one at a time`;
      io.record({ section: 'cluster', client: 'wire', what, value: q.p50, unit: 'ms (p50)', note: `p99 ${q.p99} / max ${q.max} ms over ${s.roundTrips}${errors.size > 0 ? `; answered with errors: ${[...errors].map(([e, n]) => `${n} × ${errorName(e)}`).join(', ')}` : ''}` });
      await deleteTopic(io, conns, c, topic);
    }
  } finally {
    conns.closeAll();
  }
}

// ---- failover ---------------------------------------------------------------------------------------

interface Failover {
  killed: number;
  wasController: boolean;
  /** Kill to the first Metadata answer naming a new leader. */
  electedMs: number;
  /** Kill to the first acknowledged acks=all produce. */
  ackedMs: number;
  tries: number;
  /** Restart of the killed broker to its return to the ISR. */
  rejoinMs: number;
}

async function benchFailover(io: ClusterBenchIo, c: LocalCluster, sessionLabel: string, kills: number): Promise<void> {
  const conns = new Connections(c);
  const topic = 'cluster-failover';
  const records = await encodeRecordBatch([{ value: Buffer.alloc(100, 'f') }]);
  const runs: Failover[] = [];
  let problem: string | undefined;
  const started = performance.now();
  try {
    let view = await createTopic(conns, c, topic, 1, BROKERS);
    for (let i = 0; i < kills; i++) {
      const leader = view.partitions[0]!.leaderId;
      // The leader answers acks=all before the kill: the partition is healthy.
      const e = await produce(conns, leader, topic, 0, -1, records);
      if (e !== 0) throw new Error(`before kill ${i + 1}: broker ${leader} answered error ${e}`);
      const wasController = view.controllerId === leader;
      const t0 = performance.now();
      await c.kill(leader);
      conns.drop(leader);
      const r = await firstAckedProduce(conns, c, topic, leader, records, t0);
      const t1 = performance.now();
      await c.startBroker(leader);
      view = await waitForIsr(conns, c, topic, 1, BROKERS);
      const rejoinMs = performance.now() - t1;
      runs.push({ killed: leader, wasController, ...r, rejoinMs });
      io.progress(`failover ${i + 1}/${kills} (session ${sessionLabel}): broker ${leader}${wasController ? ' (the controller)' : ''} killed; new leader seen after ${Math.round(r.electedMs)} ms, first ack after ${Math.round(r.ackedMs)} ms (${r.tries} tries); back in the ISR ${Math.round(rejoinMs)} ms after its restart`);
    }
  } catch (err) {
    problem = (err as Error).message.split('\n')[0];
    io.progress(`failover (session ${sessionLabel}) stopped: ${problem}`);
  } finally {
    conns.closeAll();
  }
  const totalS = (performance.now() - started) / 1000;
  if (runs.length === 0) {
    io.targetRow({ measure: `failover, broker.session.timeout.ms ${sessionLabel}`, samsa: 'no figure', reference: '', ratio: '', target: '', met: problem ?? '' });
    return;
  }
  const acked = quantiles(runs.map((r) => r.ackedMs));
  const elected = quantiles(runs.map((r) => r.electedMs));
  const rejoin = quantiles(runs.map((r) => r.rejoinMs));
  const controllerKills = runs.filter((r) => r.wasController);
  const others = runs.filter((r) => !r.wasController);
  const split = [
    controllerKills.length > 0 ? `${controllerKills.length} kills of the controller's broker: median ${Math.round(median(controllerKills.map((r) => r.ackedMs)))} ms` : undefined,
    others.length > 0 ? `${others.length} of another broker: median ${Math.round(median(others.map((r) => r.ackedMs)))} ms` : undefined,
  ].filter((x) => x !== undefined).join('; ');
  const note = `${runs.length} kills in ${totalS.toFixed(0)} s; ${split}${problem !== undefined ? `; stopped early: ${problem}` : ''}`;
  const fmt = (q: Quantiles): string => `p50 ${q.p50} / p99 ${q.p99} / max ${q.max} ms`;
  io.record({ section: 'cluster', client: 'wire', what: `failover, session ${sessionLabel}: SIGKILL of the leader to the first acknowledged acks=all produce`, value: acked.p50, unit: 'ms (p50)', note: `${fmt(acked)}; min ${acked.min} ms; ${note}` });
  io.record({ section: 'cluster', client: 'wire', what: `failover, session ${sessionLabel}: SIGKILL of the leader to a new leader in Metadata`, value: elected.p50, unit: 'ms (p50)', note: `${fmt(elected)}; min ${elected.min} ms` });
  io.record({ section: 'cluster', client: 'wire', what: `failover, session ${sessionLabel}: restart of the killed broker to its return to the ISR`, value: rejoin.p50, unit: 'ms (p50)', note: `${fmt(rejoin)} (includes the process start)` });
  io.targetRow({
    measure: `failover (1 partition, RF 3): SIGKILL of the leader's broker to the first acknowledged acks=all produce, ${runs.length} kills, broker.session.timeout.ms ${sessionLabel}`,
    samsa: fmt(acked), reference: '', ratio: '', target: '', met: '',
  });
}

/**
 * Produces one record with acks=all to the partition's leader as the live brokers' Metadata names
 * it, every FAILOVER_RETRY_MS, until one is acknowledged. Times are from `t0` (the kill).
 */
async function firstAckedProduce(conns: Connections, c: LocalCluster, topic: string, killed: number, records: Buffer, t0: number): Promise<{ electedMs: number; ackedMs: number; tries: number }> {
  const alive = c.brokerIds.filter((id) => id !== killed);
  let electedMs = -1;
  let tries = 0;
  for (;;) {
    const now = performance.now();
    if (now - t0 > FAILOVER_TIMEOUT_MS) throw new Error(`no acknowledged produce within ${FAILOVER_TIMEOUT_MS} ms of killing broker ${killed}`);
    const view = await metadataFromAny(conns, alive, topic);
    const leader = view?.partitions[0]?.leaderId ?? -1;
    if (leader >= 0 && leader !== killed) {
      if (electedMs < 0) electedMs = performance.now() - t0;
      tries++;
      try {
        if ((await produce(conns, leader, topic, 0, -1, records)) === 0) return { electedMs, ackedMs: performance.now() - t0, tries };
      } catch {
        // a lost connection or no answer in time: ask again
      }
    }
    await sleep(FAILOVER_RETRY_MS);
  }
}

// ---- figures ----------------------------------------------------------------------------------------

interface Quantiles {
  min: number;
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank quantiles in ms, rounded to 1 ms (0.01 ms under 10 ms). With 20 samples p99 is the largest. */
function quantiles(xs: number[]): Quantiles {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number): number => s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
  const r = (x: number): number => (x < 10 ? round(x, 2) : Math.round(x));
  return { min: r(s[0]!), p50: r(at(0.5)), p99: r(at(0.99)), max: r(s[s.length - 1]!) };
}


