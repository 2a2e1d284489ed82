/**
 * kafka-features.sh (FeatureCommand) against a broker: describe in Kafka's lines; upgrade,
 * downgrade and disable through UpdateFeatures with Kafka's output and refusals; the levels kept
 * across a SIGKILL; and what each level does — transaction.version 1 puts producers back on
 * transactions v1 (no epoch bump per transaction), group.version 0 turns the KIP-848 protocol off
 * (librdkafka 2.15's group.protocol=consumer stops with UNSUPPORTED_VERSION), share.version 0
 * turns share groups off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { run } from '../helpers/broker.js';
import { startBrokerProcess, WireClient, type BrokerProcess } from '../helpers/broker-process.js';
import { runNewRdkafkaPython } from '../helpers/librdkafka-new.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-features.sh', import.meta.url));
const OVERRIDES = { 'offsets.topic.num.partitions': '1', 'transaction.state.log.num.partitions': '1', 'group.initial.rebalance.delay.ms': '0' };

const line = (name: string, max: number, level: number, epoch: number) => `Feature: ${name}\tSupportedMinVersion: 0\tSupportedMaxVersion: ${max}\tFinalizedVersionLevel: ${level}\tEpoch: ${epoch}\n`;

/** Two committed transactions; the producer epoch they leave (v2 bumps it at each EndTxn). */
async function epochAfterTwoTransactions(bootstrap: string, id: string): Promise<number> {
  const kafka = createClient({ bootstrapServers: bootstrap });
  try {
    const producer = kafka.producer({ transactionalId: id });
    await producer.initTransactions();
    const first = (await kafka.admin().describeTransaction(id)).producerEpoch;
    for (let i = 0; i < 2; i++) {
      producer.beginTransaction();
      await producer.send({ topic: 'featured', messages: [{ value: `v${i}` }] });
      await producer.commitTransaction();
    }
    await producer.close();
    return (await kafka.admin().describeTransaction(id)).producerEpoch - first;
  } finally {
    await kafka.close();
  }
}

test('kafka-features.sh: describe, downgrade and disable with Kafka’s lines, refusals with its sentences, levels kept across a SIGKILL, and what each level turns off', { timeout: 150_000 }, async () => {
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-features-'));
  let broker: BrokerProcess = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
  const tool = (...args: string[]) => run(BIN, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 30_000 });
  try {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    await kafka.admin().createTopics([{ topic: 'featured', numPartitions: 1 }]);
    await kafka.close();
    const d0 = await tool('describe');
    assert.equal(d0.code, 0, d0.stderr);
    assert.equal(d0.stdout, line('group.version', 1, 1, 1) + line('share.version', 1, 1, 1) + line('transaction.version', 2, 2, 1));
    assert.equal(await epochAfterTwoTransactions(broker.bootstrap, 'tv2'), 2, 'transactions v2: an epoch bump per transaction');

    // A dry run changes nothing; the refusals are Kafka's, and exit 1.
    const dry = await tool('downgrade', '--feature', 'transaction.version=1', '--dry-run');
    assert.deepEqual([dry.code, dry.stdout], [0, 'transaction.version can be downgraded to 1.\n']);
    const refusals: Array<[string[], string]> = [
      [['upgrade', '--feature', 'transaction.version=3'], 'Could not upgrade transaction.version to 3. Invalid update version 3 for feature transaction.version. Local controller 1 only supports versions 0-2\n'],
      [['upgrade', '--feature', 'transaction.version=1'], "Could not upgrade transaction.version to 1. Invalid update version 1 for feature transaction.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.\n"],
      [['upgrade', '--feature', 'metadata.nope=1'], 'Could not upgrade metadata.nope to 1. Invalid update version 1 for feature metadata.nope. Local controller 1 does not support this feature.\n'],
    ];
    for (const [args, out] of refusals) {
      const r = await tool(...args);
      assert.deepEqual([r.code, r.stdout], [1, out], args.join(' '));
      assert.match(r.stderr, /1 out of 1 operation\(s\) failed\./);
    }
    const bad = await tool('upgrade', '--feature', 'group.version');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /Can't parse feature=level string group.version: equals sign not found\./);

    const down = await tool('downgrade', '--feature', 'transaction.version=1');
    assert.deepEqual([down.code, down.stdout], [0, 'transaction.version was downgraded to 1.\n']);
    const off = await tool('disable', '--feature', 'group.version', '--feature', 'share.version');
    assert.deepEqual([off.code, off.stdout], [0, 'group.version was disabled.\nshare.version was disabled.\n']);

    // SIGKILL and restart: the levels are in the metadata, not in memory.
    await broker.kill('SIGKILL');
    broker = await startBrokerProcess({ dataDir, overrides: OVERRIDES });
    const d1 = await tool('describe');
    assert.equal(d1.stdout, line('group.version', 1, 0, 3) + line('share.version', 1, 0, 3) + line('transaction.version', 2, 1, 3));
    assert.equal(await epochAfterTwoTransactions(broker.bootstrap, 'tv1'), 0, 'transaction.version 1: the producer stays on v1 (no bump per transaction)');

    const w = await WireClient.connect(broker.port);
    try {
      const versions = await w.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '0' });
      assert.deepEqual(versions.finalizedFeatures.map((f: { name: string; maxVersionLevel: number }) => [f.name, f.maxVersionLevel]), [['transaction.version', 1]]);
      const cgh = await w.request(68, 1, { groupId: 'g', memberId: 'm', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['featured'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [] });
      assert.equal(cgh.errorCode, ErrorCode.UNSUPPORTED_VERSION, 'group.version 0: no KIP-848 heartbeats');
      const sgh = await w.request(76, 1, { groupId: 's', memberId: 'm', memberEpoch: 0, rackId: null, subscribedTopicNames: ['featured'] });
      assert.equal(sgh.errorCode, ErrorCode.UNSUPPORTED_VERSION, 'share.version 0: no share group heartbeats');
    } finally {
      w.close();
    }
    const script = `
import sys, time, json
from confluent_kafka import Consumer
errors = []
c = Consumer({'bootstrap.servers': sys.argv[1], 'group.id': 'gf', 'group.protocol': 'consumer', 'error_cb': lambda e: errors.append(e.code())})
c.subscribe(['featured'])
end = time.time() + 8
while time.time() < end:
    m = c.poll(0.2)
    if m is not None and m.error() is not None:
        errors.append(m.error().code())
        if m.error().fatal(): break
c.close()
print(json.dumps(errors))
`;
    const r = await runNewRdkafkaPython(script, [broker.bootstrap], { timeoutMs: 40_000 });
    assert.equal(r.code, 0, r.stderr);
    assert.ok((JSON.parse(r.stdout.trim().split('\n').at(-1)!) as number[]).includes(-150), `librdkafka's fatal error: ${r.stdout}`);
    assert.match(r.stderr, /ConsumerGroupHeartbeat fatal error: Broker: API version not supported/);

    // Back up: the consumer protocol is served again.
    const up = await tool('upgrade', '--feature', 'group.version=1', '--feature', 'transaction.version=2');
    assert.deepEqual([up.code, up.stdout], [0, 'group.version was upgraded to 1.\ntransaction.version was upgraded to 2.\n']);
    assert.equal(await epochAfterTwoTransactions(broker.bootstrap, 'tv2-again'), 2);
  } finally {
    await broker.kill('SIGTERM').catch(() => undefined);
    await rm(dataDir, { recursive: true, force: true });
  }
});
