/**
 * Exactly-once across brokers, with processes and a client nobody here wrote: librdkafka's
 * consume-transform-produce loop (Debian's confluent-kafka) reads a topic whose partitions are
 * led by three different brokers and writes each record to another such topic in transactions
 * that also commit its offsets, while brokers — the transaction coordinator's among them — are
 * SIGKILLed and restarted. read_committed then sees every input record exactly once in the
 * output and never a record of an aborted transaction.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_PYTHON, installed, run } from '../helpers/broker.js';
import { withClusterProcesses } from '../helpers/cluster-processes.js';
import { createReplicatedTopic, partitions, waitForIsr } from '../helpers/cluster-checks.js';
import { librdkafkaProducer } from '../helpers/rdkafka-producer.js';
import { librdkafkaEosLoop } from '../helpers/rdkafka-eos.js';
import { txnPartition } from '../../src/coordinator/txn/records.js';

const HAVE_KCAT = await installed('kcat', ['-V']);
const HAVE_CONFLUENT = await installed(SYSTEM_PYTHON, ['-c', 'import confluent_kafka']);
const SKIP = !HAVE_KCAT ? 'kcat is not installed (Debian package kcat)' : !HAVE_CONFLUENT ? 'Debian python3-confluent-kafka is not installed' : false;
const RECORDS = 4000;

/** Every value in `topic` as a read_committed consumer (kcat) sees it. */
async function readCommitted(bootstrap: string, topic: string): Promise<string[]> {
  const r = await run('kcat', ['-b', bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\n'], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `kcat -C failed: ${r.stderr}`);
  return r.stdout.split('\n').filter((l) => l !== '');
}

test('librdkafka consume-transform-produce across partitions led by different brokers keeps exactly-once while brokers are SIGKILLed and restarted; read_committed never sees an aborted record', { skip: SKIP, timeout: 300_000 }, async () => {
  await withClusterProcesses(async (c) => {
    await createReplicatedTopic(c.bootstrap, 'eos-in', 3, { 'min.insync.replicas': '2' });
    await createReplicatedTopic(c.bootstrap, 'eos-out', 3, { 'min.insync.replicas': '2' });
    const leaders = new Set((await partitions(c.bootstrap, 'eos-out')).map((p) => p.leader));
    assert.equal(leaders.size, 3, 'the output partitions are led by three brokers');
    const produced = await librdkafkaProducer(c.bootstrap, 'eos-in', RECORDS, RECORDS).result;
    assert.equal(produced.acked.length, RECORDS);

    const loop = librdkafkaEosLoop(c.bootstrap, 'eos-in', 'eos-out', 'eos-loop', RECORDS, { batch: 20 });
    // Kill each broker in turn under the loop, the transaction coordinator's first, restarting
    // each before the next goes.
    await loop.committed(5);
    const coordinator = (await partitions(c.bootstrap, '__transaction_state')).find((p) => p.partition === txnPartition('eos-loop', 6))!.leader;
    const order = [coordinator, ...c.brokerIds.filter((id) => id !== coordinator)];
    for (const [i, id] of order.entries()) {
      await loop.committed(10 + i * 40);
      await c.kill(id);
      await new Promise((r) => setTimeout(r, 1500));
      await c.startBroker(id);
      await waitForIsr(c.bootstrap, 'eos-out', 3, 60_000);
    }
    const stats = await loop.result;
    console.log(`# EOS loop: ${stats.committed} transactions committed, ${stats.deliberate} aborted on purpose, ${stats.aborted} aborted on errors, ${stats.fatal} fatal errors, ${stats.rewinds} rewinds; errors: ${stats.errors.slice(0, 5).join(' | ')}`);

    const out = await readCommitted(c.bootstrap, 'eos-out');
    assert.ok(!out.some((v) => v.startsWith('ABORTED')), 'no record of an aborted transaction is read');
    const counts = new Map<string, number>();
    for (const v of out) counts.set(v, (counts.get(v) ?? 0) + 1);
    const dups = [...counts].filter(([, n]) => n > 1);
    assert.deepEqual(dups.slice(0, 10), [], 'no input record copied twice');
    const missing = Array.from({ length: RECORDS }, (_, i) => String(i)).filter((v) => !counts.has(v));
    assert.deepEqual(missing.slice(0, 10), [], 'every input record copied');
    assert.equal(out.length, RECORDS);
  }, { overrides: { 'group.initial.rebalance.delay.ms': '0', 'offsets.topic.num.partitions': '6', 'transaction.state.log.num.partitions': '6', 'transaction.abort.timed.out.transaction.cleanup.interval.ms': '2000' } });
});
