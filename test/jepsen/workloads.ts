/**
 * The clients of a Jepsen-style run, unmodified, each recording what it saw into the history:
 *
 *  - an idempotent KafkaJS producer (acks=all, one request in flight) writing unique values
 *    `i<n>`, a few at a time to one partition, with the offset each acknowledgement gave; after a
 *    failed send it is replaced, so no value is ever sent again under another sequence number;
 *  - a transactional KafkaJS producer writing transactions `t<id>-<k>` over several partitions,
 *    a seeded share of them aborted on purpose; a transaction that meets any error has an unknown
 *    outcome and the producer is replaced (the new one's InitProducerId fences the old and ends
 *    its transaction);
 *  - a read_committed KafkaJS group consumer, which declares a rewind at every group join;
 *  - a read_committed librdkafka consumer (confluent-kafka) with every partition assigned, no
 *    group, which declares a rewind of a partition at every offset reset librdkafka logs.
 *
 * One partition per KafkaJS send(): KafkaJS 2.2.4 drops the messages of a partition whose leader
 * moved to a broker that already answered for the same send() (tulios/kafkajs PR #1798).
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { SYSTEM_PYTHON } from '../helpers/broker.js';
import { randomInt, seededRandom } from '../helpers/random.js';
import type { ConsumerHistory, IdempotentWrite, Txn } from './checker.js';

export interface Workload {
  name: string;
  /** Operations done so far (sends, transactions, records read), for progress lines. */
  progress(): number;
  /** Errors met so far (the first few kept), for the report. */
  errors(): string[];
  stop(): Promise<void>;
}

export interface WorkloadOptions {
  bootstrap: string;
  topic: string;
  partitions: number;
  seed: number;
}

/** A KafkaJS client whose requests give up soon on a broker that does not answer. */
function kafka(bootstrap: string, clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    requestTimeout: 5000,
    connectionTimeout: 3000,
    retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 },
  });
}

/** A producer replaced after an error waits this long first, so a broker that is down is not asked in a tight loop. */
const RETRY_BACKOFF_MS = 500;

/** Errors are kept up to this many, with how many there were in all. */
const ERRORS_KEPT_MAX = 10;

class ErrorLog {
  count = 0;
  readonly kept: string[] = [];
  add(err: unknown): void {
    this.count++;
    if (this.kept.length < ERRORS_KEPT_MAX) this.kept.push(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  }
  list(): string[] {
    return this.count > this.kept.length ? [...this.kept, `… ${this.count - this.kept.length} more`] : this.kept;
  }
}

async function disconnect(p: Producer | null): Promise<void> {
  await p?.disconnect().catch(() => undefined);
}

export function idempotentProducer(o: WorkloadOptions, writes: IdempotentWrite[]): Workload {
  const rand = seededRandom(o.seed * 7 + 1);
  const errors = new ErrorLog();
  let stopped = false;
  let sends = 0;
  const loop = (async () => {
    let next = 0;
    while (!stopped) {
      const producer = kafka(o.bootstrap, 'jepsen-idempotent').producer({ idempotent: true, maxInFlightRequests: 1, metadataMaxAge: 1000 });
      try {
        await producer.connect();
        while (!stopped) {
          const partition = randomInt(rand, 0, o.partitions - 1);
          const values = Array.from({ length: randomInt(rand, 1, 5) }, () => `i${next++}`);
          try {
            const metadata = await producer.send({ topic: o.topic, acks: -1, messages: values.map((value) => ({ partition, value })) });
            const base = metadata.find((m) => m.partition === partition)?.baseOffset;
            values.forEach((value, i) => writes.push({ value, partition, acked: true, ...(base === undefined ? {} : { offset: Number(base) + i }) }));
            sends++;
          } catch (err) {
            for (const value of values) writes.push({ value, partition, acked: false });
            throw err;
          }
        }
      } catch (err) {
        if (!stopped) {
          errors.add(err);
          await sleep(RETRY_BACKOFF_MS);
        }
      } finally {
        await disconnect(producer);
      }
    }
  })();
  return { name: 'idempotent producer', progress: () => sends, errors: () => errors.list(), stop: async () => { stopped = true; await loop; } };
}

export const TRANSACTIONAL_ID = 'jepsen-txn';

export function transactionalProducer(o: WorkloadOptions, txns: Txn[], abortShare = 0.25): Workload {
  const rand = seededRandom(o.seed * 7 + 2);
  const errors = new ErrorLog();
  let stopped = false;
  const make = (): Producer => kafka(o.bootstrap, 'jepsen-transactional').producer({ transactionalId: TRANSACTIONAL_ID, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 20_000, metadataMaxAge: 1000 });
  const loop = (async () => {
    let producer: Producer | null = null;
    while (!stopped) {
      try {
        if (producer === null) {
          producer = make();
          await producer.connect();
        }
      } catch (err) {
        errors.add(err);
        await disconnect(producer);
        producer = null;
        await sleep(RETRY_BACKOFF_MS);
        continue;
      }
      const t: Txn = { id: txns.length, records: [], outcome: 'unknown' };
      for (let k = randomInt(rand, 2, 6), j = 0; j < k; j++) t.records.push({ partition: randomInt(rand, 0, o.partitions - 1), value: `t${t.id}-${j}` });
      const abort = rand() < abortShare;
      txns.push(t);
      try {
        const tx = await producer.transaction();
        for (const partition of new Set(t.records.map((r) => r.partition))) {
          await tx.send({ topic: o.topic, acks: -1, messages: t.records.filter((r) => r.partition === partition).map((r) => ({ partition, value: r.value })) });
        }
        if (abort) await tx.abort();
        else await tx.commit();
        t.outcome = abort ? 'aborted' : 'committed';
      } catch (err) {
        if (!stopped) errors.add(err);
        await disconnect(producer);
        producer = null;
        await sleep(RETRY_BACKOFF_MS);
      }
    }
    await disconnect(producer);
    // A transaction left open would hold every read_committed reader at its first offset: a new
    // producer's first transaction() sends InitProducerId with the transactional id, which ends it.
    for (let attempt = 0; producer === null; attempt++) {
      const fresh = make();
      try {
        await fresh.connect();
        await (await fresh.transaction()).abort();
        producer = fresh;
      } catch (err) {
        errors.add(err);
        if (attempt > 10) break;
        await sleep(RETRY_BACKOFF_MS);
      } finally {
        await disconnect(fresh);
      }
    }
  })();
  return { name: 'transactional producer', progress: () => txns.length, errors: () => errors.list(), stop: async () => { stopped = true; await loop; } };
}

export function groupConsumer(o: WorkloadOptions, h: ConsumerHistory): Workload {
  const errors = new ErrorLog();
  const consumer = kafka(o.bootstrap, 'jepsen-group').consumer({ groupId: 'jepsen-group', sessionTimeout: 10_000, heartbeatInterval: 1000, maxWaitTimeInMs: 500, metadataMaxAge: 1000 });
  consumer.on(consumer.events.GROUP_JOIN, () => h.events.push({ rewind: true }));
  consumer.on(consumer.events.CRASH, (e) => {
    errors.add(e.payload.error);
    h.events.push({ rewind: true });
  });
  let reads = 0;
  const started = (async () => {
    await consumer.connect();
    await consumer.subscribe({ topic: o.topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        h.events.push({ partition, offset: Number(message.offset), value: message.value?.toString() ?? '' });
        reads++;
      },
    });
  })().catch((err) => errors.add(err));
  return { name: h.name, progress: () => reads, errors: () => errors.list(), stop: async () => { await started; await consumer.disconnect().catch(() => undefined); } };
}

// One message per poll(), so that librdkafka's log lines, which poll() serves in order with the
// messages (the logger option), come out between the records they fall between: an offset reset
// is written before the first record read after it.
const ASSIGNED = `
import sys, json, logging, re, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
bootstrap, topic, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
out = []
class Resets(logging.Handler):
    def emit(self, record):
        msg = record.getMessage()
        m = re.search(r'\\[(\\d+)\\]: offset reset', msg)
        if m:
            out.append(json.dumps({'reset': int(m.group(1)), 'at': time.time(), 'log': msg}))
log = logging.getLogger('rdkafka')
log.addHandler(Resets())
log.setLevel(logging.INFO)
log.propagate = False
c = Consumer({'bootstrap.servers': bootstrap, 'group.id': 'jepsen-assigned', 'isolation.level': 'read_committed',
              'enable.auto.commit': False, 'auto.offset.reset': 'earliest', 'topic.metadata.refresh.interval.ms': 1000,
              'socket.timeout.ms': 5000}, logger=log)
c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(n)])
while True:
    m = c.poll(0.5)
    if m is not None:
        if m.error() is not None:
            out.append(json.dumps({'error': str(m.error())}))
        else:
            out.append(json.dumps({'p': m.partition(), 'o': m.offset(), 'v': m.value().decode()}))
    if out and (m is None or len(out) >= 500):
        sys.stdout.write('\\n'.join(out) + '\\n')
        sys.stdout.flush()
        out.clear()
`;

/**
 * The librdkafka consumer, with every partition assigned from its start and no group. An offset
 * reset (librdkafka 2.0.2 goes back to the beginning, auto.offset.reset=earliest, when a broker
 * answers OFFSET_OUT_OF_RANGE) is declared as a rewind of its partition and kept as evidence in
 * `resets`: the order check starts again there, and the report says which broker answered what.
 */
export function assignedConsumer(o: WorkloadOptions, h: ConsumerHistory, resets: string[]): Workload {
  const errors = new ErrorLog();
  const child = spawn(SYSTEM_PYTHON, ['-u', '-c', ASSIGNED, o.bootstrap, o.topic, String(o.partitions)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let reads = 0;
  let rest = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    for (const line of parts) {
      const m = JSON.parse(line) as { p: number; o: number; v: string } | { error: string } | { reset: number; at: number; log: string };
      if ('error' in m) errors.add(m.error);
      else if ('reset' in m) {
        h.events.push({ rewind: true, partition: m.reset });
        resets.push(`${new Date(m.at * 1000).toISOString()} ${m.log}`);
      } else {
        h.events.push({ partition: m.p, offset: m.o, value: m.v });
        reads++;
      }
    }
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    name: h.name,
    progress: () => reads,
    errors: () => [...errors.list(), ...stderr.split('\n').filter((l) => l.trim() !== '').slice(-3)],
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}
