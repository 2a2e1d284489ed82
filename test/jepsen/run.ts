/**
 * One Jepsen-style run: etcd and three broker processes (broker 3 in a network namespace of its
 * own when one can be made, so it can be cut off), a topic of six partitions with replication
 * factor 3 and min.insync.replicas=2, the workloads of workloads.ts, a seeded fault schedule
 * applied step by step, then — every fault healed, every ISR full, the producers stopped — a
 * final read_committed read of every partition and the checker over the whole history.
 *
 * Used by the short run in `npm test` (test/integration/jepsen.test.ts) and by the soak
 * (`npm run soak`, bench/soak.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { run } from '../helpers/broker.js';
import { createReplicatedTopic } from '../helpers/cluster-checks.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { createNetns, type Netns } from '../helpers/netns.js';
import { waitFor } from '../helpers/wait.js';
import { check, countByKind, type CheckResult, type ConsumerHistory, type History, type ReadRecord } from './checker.js';
import { Nemesis, type FaultTiming } from './nemesis.js';
import { describeFault, FAULT_KINDS, generateSchedule, type FaultKind, type ScheduleOptions } from './schedule.js';
import { assignedConsumer, groupConsumer, idempotentProducer, transactionalProducer, type Workload, type WorkloadOptions } from './workloads.js';

export const TOPIC = 'jepsen';
export const PARTITIONS = 6;
/** The broker put in a namespace of its own, the one a partition fault cuts off. */
const PARTITIONED_BROKER = 3;
/** Every progress line comes this long after the last. */
const PROGRESS_EVERY_MS = 15_000;
/** How long the consumers may take to read up to the end of the log once the producers stop. */
const CATCH_UP_TIMEOUT_MS = 60_000;

export interface JepsenOptions {
  seed: number;
  schedule: Omit<ScheduleOptions, 'seed' | 'brokers' | 'partitionable'>;
  /** Stop starting faults after this many minutes (the schedule's faults otherwise). */
  minutes?: number;
  /** A missing network namespace fails the run instead of leaving partitions out. */
  requireNetns: boolean;
  log(line: string): void;
}

export interface JepsenReport {
  seed: number;
  /** Why no partition fault could be injected, or null when they could. */
  noPartitions: string | null;
  faults: FaultTiming[];
  faultsByKind: Record<FaultKind, number>;
  /** Steps after which the cluster did not get every ISR full again (a replica that never caught up). */
  unhealed: string[];
  /**
   * The librdkafka consumer's offset resets, each a broker answering OFFSET_OUT_OF_RANGE for an
   * offset the partition has (librdkafka 2.0.2 then goes back to the beginning): not a broken
   * guarantee, but a broker that still served as leader after it had lost the leadership.
   */
  resets: string[];
  result: CheckResult;
  workloadErrors: Record<string, string[]>;
  durationMs: number;
}

export async function runJepsen(o: JepsenOptions): Promise<JepsenReport> {
  const started = Date.now();
  const ns = await createNetns();
  if (typeof ns === 'string') {
    if (o.requireNetns) throw new Error(`SAMSA_REQUIRE_NETNS is set but ${ns}`);
    o.log(`no partition faults: ${ns}; kill and pause only`);
  }
  const netns = new Map<number, Netns>(typeof ns === 'string' ? [] : [[PARTITIONED_BROKER, ns]]);
  let report: JepsenReport | null = null;
  try {
    await withClusterProcesses(async (c) => {
      await createReplicatedTopic(c.bootstrap, TOPIC, PARTITIONS, { 'min.insync.replicas': '2' });
      const schedule = generateSchedule({ ...o.schedule, seed: o.seed, brokers: c.brokerIds, partitionable: [...netns.keys()] });
      const history: History = { writes: [], txns: [], consumers: [], final: [] };
      const group: ConsumerHistory = { name: 'the group consumer (KafkaJS)', readCommitted: true, events: [] };
      const assigned: ConsumerHistory = { name: 'the assigned consumer (librdkafka)', readCommitted: true, events: [] };
      history.consumers.push(group, assigned);
      const wo: WorkloadOptions = { bootstrap: c.bootstrap, topic: TOPIC, partitions: PARTITIONS, seed: o.seed };
      const resets: string[] = [];
      const consumers = [groupConsumer(wo, group), assignedConsumer(wo, assigned, resets)];
      const producers = [idempotentProducer(wo, history.writes), transactionalProducer(wo, history.txns)];
      const workloads = [...producers, ...consumers];
      const nemesis = new Nemesis(c, TOPIC, netns);
      const progress = setInterval(() => o.log(`progress at ${seconds(Date.now() - started)}: ${summary(workloads)}`), PROGRESS_EVERY_MS);
      const faults: FaultTiming[] = [];
      const unhealed: string[] = [];
      try {
        try {
          await waitFor('every workload to make progress before the first fault', () => workloads.every((w) => w.progress() > 0), 60_000);
          for (const f of schedule) {
            if (o.minutes !== undefined && Date.now() - started >= o.minutes * 60_000) break;
            o.log(`fault ${describeFault(f)}`);
            const t = await nemesis.apply(f);
            faults.push(t);
            const noticed = t.noticedMs === null ? 'never (held anyway)' : `${t.noticedMs} ms`;
            if (t.unhealed === null) o.log(`  healed: noticed after ${noticed}, every ISR full ${t.healedMs} ms after healing; ${summary(workloads)}`);
            else {
              o.log(`  NOT HEALED: noticed after ${noticed}; ${t.unhealed}; going on; broker ${f.broker}'s last lines:`);
              for (const line of t.evidence) o.log(`    ${line}`);
              unhealed.push(`step ${f.step} (${f.kind} broker ${f.broker}): ${t.unhealed}`);
            }
            // Fault-free load between faults: load, not a wait for a condition.
            await sleep(f.quietMs);
          }
        } finally {
          clearInterval(progress);
          try {
            await nemesis.healAll();
          } finally {
            for (const w of producers) await w.stop();
          }
        }
        const end = await nemesis.waitFullIsrs(60_000);
        if (end !== null) {
          o.log(`NOT HEALED before the final read: ${end}`);
          unhealed.push(`before the final read: ${end}`);
        }
        history.final = await finalRead(c.bootstrap);
        o.log(`final read: ${history.final.length} records; waiting for the consumers to read up to the end`);
        await catchUp(history.final, [group, assigned]).catch((err: Error) => o.log(`  ${err.message}`));
      } finally {
        for (const w of consumers) await w.stop();
      }
      const result = check(history);
      const faultsByKind = Object.fromEntries(FAULT_KINDS.map((k) => [k, faults.filter((t) => t.fault.kind === k).length])) as Record<FaultKind, number>;
      report = {
        seed: o.seed,
        noPartitions: typeof ns === 'string' ? ns : null,
        faults,
        faultsByKind,
        unhealed,
        resets,
        result,
        workloadErrors: Object.fromEntries(workloads.map((w) => [w.name, w.errors()])),
        durationMs: Date.now() - started,
      };
    }, {
      overrides: {
        'group.initial.rebalance.delay.ms': '0',
        'offsets.topic.num.partitions': '3',
        'transaction.state.log.num.partitions': '3',
        'transaction.abort.timed.out.transaction.cleanup.interval.ms': '2000',
      },
      ...(typeof ns === 'string' ? {} : { host: ns.hostAddress, etcdHost: ns.hostAddress, brokerHosts: { [PARTITIONED_BROKER]: ns.innerAddress }, brokerPrefix: { [PARTITIONED_BROKER]: ns.prefix } }),
    });
  } finally {
    if (typeof ns !== 'string') await ns.destroy();
  }
  return report!;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(0)} s`;
}

function summary(ws: Workload[]): string {
  return ws.map((w) => `${w.name} ${w.progress()}`).join(', ');
}

/** Every partition from its start to its end as a read_committed reader (kcat, librdkafka) sees it. */
async function finalRead(bootstrap: string): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  for (let p = 0; p < PARTITIONS; p++) {
    const r = await run('kcat', ['-b', bootstrap, '-C', '-t', TOPIC, '-p', String(p), '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%o %s\n'], { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`the final read of partition ${p} failed (kcat exited ${r.code}): ${r.stderr}`);
    for (const line of r.stdout.split('\n')) {
      if (line === '') continue;
      const [offset, value] = line.split(' ');
      out.push({ partition: p, offset: Number(offset), value: value! });
    }
  }
  return out;
}

/** Until every consumer has read each partition's last record of the final read. */
async function catchUp(final: ReadRecord[], consumers: ConsumerHistory[]): Promise<void> {
  const last = new Map<number, number>();
  for (const r of final) last.set(r.partition, Math.max(last.get(r.partition) ?? -1, r.offset));
  const behind = (c: ConsumerHistory): number[] => {
    const read = new Map<number, number>();
    for (const e of c.events) if (!('rewind' in e)) read.set(e.partition, Math.max(read.get(e.partition) ?? -1, e.offset));
    return [...last].filter(([p, off]) => (read.get(p) ?? -1) < off).map(([p]) => p);
  };
  await waitFor('the consumers to read up to the end of every partition', () => consumers.every((c) => behind(c).length === 0), CATCH_UP_TIMEOUT_MS).catch(() => {
    throw new Error(`consumers still behind after ${CATCH_UP_TIMEOUT_MS} ms: ${consumers.map((c) => `${c.name} in partitions [${behind(c).join(',')}]`).join('; ')}`);
  });
}

/** The report as lines for people: faults, operations, anomalies by kind with examples. */
export function formatReport(r: JepsenReport): string[] {
  const c = r.result.counts;
  const lines = [
    `seed ${r.seed}, ${seconds(r.durationMs)}${r.noPartitions === null ? '' : ` (no partition faults: ${r.noPartitions})`}`,
    `faults injected: ${r.faults.length} (${FAULT_KINDS.map((k) => `${k} ${r.faultsByKind[k]}`).join(', ')})`,
    `operations: ${c.ackedWrites} idempotent writes acknowledged (${c.failedWrites} failed, outcome unknown); transactions ${c.txnsCommitted} committed, ${c.txnsAborted} aborted, ${c.txnsUnknown} unknown; ${c.recordsRead} records read by consumers; final read ${c.finalRecords} records`,
  ];
  const kinds = new Map<string, string[]>();
  for (const a of r.result.anomalies) kinds.set(a.kind, [...(kinds.get(a.kind) ?? []), a.detail]);
  const n = countByKind(r.result.anomalies);
  lines.push(kinds.size === 0 ? 'anomalies: none' : `anomalies: ${[...kinds.keys()].map((k) => `${k} ${n[k as keyof typeof n]}`).join(', ')}`);
  for (const [k, ds] of kinds) for (const d of ds.slice(0, 5)) lines.push(`  ${k}: ${d}`);
  lines.push(r.unhealed.length === 0 ? 'cluster healed after every fault' : `cluster NOT healed ${r.unhealed.length} times:`);
  for (const u of r.unhealed.slice(0, 5)) lines.push(`  ${u}`);
  lines.push(r.resets.length === 0 ? 'no offset resets' : `offset resets of the assigned consumer (a broker answered OFFSET_OUT_OF_RANGE; it went back to the beginning): ${r.resets.length}`);
  for (const x of r.resets.slice(0, 5)) lines.push(`  ${x}`);
  for (const [name, errors] of Object.entries(r.workloadErrors)) {
    if (errors.length === 0) continue;
    lines.push(`errors met by the ${name.replace(/^the /, '')}:`);
    for (const e of errors.slice(0, 8)) lines.push(`  ${e}`);
  }
  return lines;
}
