/**
 * The share group admin APIs that change state (Kafka 4.2): AlterShareGroupOffsets moves an
 * empty group's start offset, durably (a restarted broker keeps it) and a share consumer then
 * reads from there; DeleteShareGroupOffsets makes the group start again from
 * share.auto.offset.reset; DeleteGroups deletes an empty share group with its state. While a
 * member is in the group each is refused with NON_EMPTY_GROUP; unknown groups and topics get
 * Kafka's codes. Real sockets, a real data directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker } from '../../src/broker/broker.js';
import { createClient, ErrorCode, KafkaError, type Admin, type Client as KafkaClient } from '../../src/client/index.js';
import { WireClient } from '../helpers/broker-process.js';

const CONFIG = { 'samsa.share.auto.offset.reset': 'earliest' };

async function withBroker<T>(dataDir: string, fn: (b: Broker, kafka: KafkaClient) => Promise<T>): Promise<T> {
  const broker = await Broker.start({ port: 0, config: CONFIG, dataDir });
  const kafka = createClient({ bootstrapServers: broker.bootstrap, clientId: 'share-admin' });
  try {
    return await fn(broker, kafka);
  } finally {
    await kafka.close();
    await broker.stop();
  }
}

/** One share consumer reads until `want` records arrived (or 15 s), acknowledging them, then leaves. */
async function consume(kafka: KafkaClient, groupId: string, topic: string, want: number): Promise<number[]> {
  const c = kafka.shareConsumer({ groupId });
  c.subscribe([topic]);
  const offsets: number[] = [];
  const deadline = Date.now() + 15_000;
  try {
    while (offsets.length < want && Date.now() < deadline) offsets.push(...(await c.poll({ timeoutMs: 300 })).map((r) => r.offset));
    await c.commitSync();
  } finally {
    await c.close();
  }
  return offsets.sort((a, b) => a - b);
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

async function refusedWith(p: Promise<unknown>, code: number, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof KafkaError, String(err));
    assert.equal(err.code, code, err.message);
    if (message !== undefined) assert.match(err.message, message);
    return true;
  });
}

test('AlterShareGroupOffsets, DeleteShareGroupOffsets and DeleteGroups of a share group, across a broker restart', { timeout: 120_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-share-admin-'));
  try {
    await withBroker(dir, async (_broker, kafka) => {
      const admin = kafka.admin();
      await admin.createTopics([{ topic: 'jobs', numPartitions: 1 }]);
      await kafka.producer().send({ topic: 'jobs', messages: range(0, 10).map((i) => ({ value: `j${i}` })) });
      assert.deepEqual(await consume(kafka, 'crew', 'jobs', 10), range(0, 10));

      // A member in the group: every change is refused with Kafka's code and message.
      const member = kafka.shareConsumer({ groupId: 'crew' });
      member.subscribe(['jobs']);
      await member.poll({ timeoutMs: 500 });
      await refusedWith(admin.alterShareGroupOffsets('crew', [{ topic: 'jobs', partition: 0, startOffset: 3 }]), ErrorCode.NON_EMPTY_GROUP, /^The group is not empty\.$/);
      await refusedWith(admin.deleteShareGroupOffsets('crew', ['jobs']), ErrorCode.NON_EMPTY_GROUP);
      const [busy] = await admin.deleteGroups(['crew']);
      assert.equal(busy?.error?.code, ErrorCode.NON_EMPTY_GROUP);
      await member.close();

      // Empty: the start offset moves back to 3, and unknown partitions and topics say so.
      const altered = await admin.alterShareGroupOffsets('crew', [
        { topic: 'jobs', partition: 0, startOffset: 3 },
        { topic: 'jobs', partition: 7, startOffset: 0 },
        { topic: 'nope', partition: 0, startOffset: 0 },
      ]);
      assert.deepEqual(altered.map((r) => [r.topic, r.partition, r.error?.code ?? 0]), [
        ['jobs', 0, 0],
        ['jobs', 7, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
        ['nope', 0, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION],
      ]);
      assert.deepEqual((await admin.listShareGroupOffsets('crew')).map((o) => [o.topic, o.partition, o.startOffset]), [['jobs', 0, 3]]);
      await refusedWith(admin.alterShareGroupOffsets('ghosts', [{ topic: 'jobs', partition: 0, startOffset: 0 }]), ErrorCode.GROUP_ID_NOT_FOUND, /^Group ghosts not found\.$/);
      await refusedWith(admin.deleteShareGroupOffsets('ghosts', ['jobs']), ErrorCode.GROUP_ID_NOT_FOUND);
    });

    // The reset was written to __share_group_state: a restarted broker starts the group at 3.
    await withBroker(dir, async (_broker, kafka) => {
      const admin = kafka.admin();
      assert.deepEqual((await admin.listShareGroupOffsets('crew')).map((o) => o.startOffset), [3]);
      assert.deepEqual(await consume(kafka, 'crew', 'jobs', 7), range(3, 10), 'the records from the new start offset, once more');

      // DeleteShareGroupOffsets: the state is gone, and the group starts again from share.auto.offset.reset (earliest).
      const deleted = await admin.deleteShareGroupOffsets('crew', ['jobs', 'nope']);
      assert.deepEqual(deleted.map((r) => [r.topic, r.error?.code ?? 0, r.error?.message ?? null]), [
        ['jobs', 0, null],
        ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'This server does not host this topic-partition.'],
      ]);
      assert.deepEqual(await admin.listShareGroupOffsets('crew'), []);
      assert.deepEqual(await consume(kafka, 'crew', 'jobs', 10), range(0, 10));

      // DeleteGroups: the empty share group and its state go; the group is unknown afterwards.
      const [gone] = await admin.deleteGroups(['crew']);
      assert.equal(gone?.error, null);
      assert.deepEqual((await admin.listShareGroups()).map((g) => g.groupId), []);
      await refusedWith(admin.listShareGroupOffsets('crew'), ErrorCode.GROUP_ID_NOT_FOUND);
    });

    // Deleted means deleted after a restart too: the group's next member starts from earliest.
    await withBroker(dir, async (_broker, kafka) => {
      assert.deepEqual((await kafka.admin().listShareGroups()).map((g) => g.groupId), []);
      assert.deepEqual(await consume(kafka, 'crew', 'jobs', 10), range(0, 10));
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('AlterShareGroupOffsets and DeleteShareGroupOffsets on the wire: top-level and per-topic errors as Kafka 4.2', { timeout: 60_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-share-admin-wire-'));
  try {
    await withBroker(dir, async (broker, kafka) => {
      const admin: Admin = kafka.admin();
      await admin.createTopics([{ topic: 't', numPartitions: 2 }, { topic: 'other', numPartitions: 1 }]);
      await kafka.producer().send({ topic: 't', messages: [{ value: 'a', partition: 0 }] });
      await consume(kafka, 'g', 't', 1);
      const w = await WireClient.connect(broker.port);
      try {
        const classicGroup = await w.request(42, 2, { groupsNames: ['nobody'] });
        assert.deepEqual(classicGroup.results, [{ groupId: 'nobody', errorCode: ErrorCode.GROUP_ID_NOT_FOUND }]);
        const bad = await w.request(91, 0, { groupId: 'g', topics: [{ topicName: 't', partitions: [{ partitionIndex: 1, startOffset: -5 }] }] });
        assert.equal(bad.errorCode, 0);
        assert.equal(bad.responses[0].partitions[0].errorCode, ErrorCode.INVALID_REQUEST);
        const none = await w.request(91, 0, { groupId: '', topics: [] });
        assert.equal(none.errorCode, ErrorCode.INVALID_GROUP_ID);
        // A topic the group has no state for: Kafka's row and message.
        const noState = await w.request(92, 0, { groupId: 'g', topics: [{ topicName: 'other' }, { topicName: 't' }] });
        assert.equal(noState.errorCode, 0);
        assert.deepEqual(noState.responses.map((r: { topicName: string; errorCode: number; errorMessage: string | null }) => [r.topicName, r.errorCode, r.errorMessage]), [
          ['t', 0, null],
          ['other', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'There is no offset information to delete.'],
        ]);
      } finally {
        w.close();
      }
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
