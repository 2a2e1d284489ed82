/**
 * @platformatic/kafka 1.x (the newest line that runs on Node 20) against Samsa: admin, a keyed
 * producer writing to several partitions, a group consumer, committed offsets read back.
 * Its 1.x decoder of tagged-field sections reads the field count as a byte count, so it only
 * works with brokers that leave tagged fields at their defaults out, as Kafka does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Admin, Consumer, Producer, MessagesStreamModes, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { withBroker } from '../helpers/broker.js';

/** How long a group consumer may take to receive what was produced. */
const CONSUME_TIMEOUT_MS = 20_000;

/**
 * Retries that outlast the creation of `__consumer_offsets` by a group's first request (answered
 * COORDINATOR_NOT_AVAILABLE meanwhile, as Kafka does) on a loaded machine.
 */
const RETRIES = 50;
const RETRY_DELAY_MS = 100;

function clientOptions(bootstrap: string, clientId: string) {
  return { clientId, bootstrapBrokers: [bootstrap], retries: RETRIES, retryDelay: RETRY_DELAY_MS };
}

test('@platformatic/kafka admin creates, lists and deletes topics and adds partitions', async () => {
  await withBroker(async (broker) => {
    const admin = new Admin(clientOptions(broker.bootstrap, 'plt-admin'));
    try {
      const created = await admin.createTopics({ topics: ['plt-a', 'plt-b'], partitions: 2, replicas: 1 });
      assert.deepEqual(created.map((t) => [t.name, t.partitions]).sort(), [['plt-a', 2], ['plt-b', 2]]);
      assert.deepEqual((await admin.listTopics()).sort(), ['plt-a', 'plt-b']);
      await admin.createPartitions({ topics: [{ name: 'plt-a', count: 3 }] });
      assert.equal(broker.topics.get('plt-a')?.partitions, 3);
      await admin.deleteTopics({ topics: ['plt-b'] });
      assert.deepEqual(await admin.listTopics(), ['plt-a']);
    } finally {
      await admin.close();
    }
  });
});

test('@platformatic/kafka produces keyed messages with headers to two partitions and a group consumer reads them all back', async () => {
  await withBroker(async (broker) => {
    const opts = clientOptions(broker.bootstrap, 'plt');
    const admin = new Admin(opts);
    const producer = new Producer({ ...opts, serializers: stringSerializers });
    const consumer = new Consumer({ ...opts, groupId: 'plt-group', deserializers: stringDeserializers, maxWaitTime: 200 });
    try {
      await admin.createTopics({ topics: ['plt-events'], partitions: 2, replicas: 1 });
      const sent = [0, 1, 2, 3, 4].map((i) => ({ topic: 'plt-events', key: `key-${i}`, value: `value-${i}`, partition: i % 2, headers: new Map([[`h${i}`, `x${i}`]]) }));
      const result = await producer.send({ messages: sent });
      assert.deepEqual(result.offsets?.map((o) => [o.partition, o.offset]).sort(), [[0, 0n], [1, 0n]]);

      const stream = await consumer.consume({ topics: ['plt-events'], mode: MessagesStreamModes.EARLIEST, autocommit: false });
      const got: Array<{ partition: number; offset: bigint; key: string; value: string; headers: Array<[string, string]> }> = [];
      const deadline = setTimeout(() => stream.destroy(new Error(`received ${got.length} of ${sent.length} messages within ${CONSUME_TIMEOUT_MS} ms`)), CONSUME_TIMEOUT_MS);
      try {
        for await (const m of stream) {
          got.push({ partition: m.partition, offset: m.offset, key: m.key, value: m.value, headers: [...m.headers.entries()] });
          if (got.length === sent.length) break;
        }
      } finally {
        clearTimeout(deadline);
        await stream.close();
      }
      got.sort((a, b) => a.key.localeCompare(b.key));
      assert.deepEqual(
        got.map((m) => [m.key, m.value, m.partition, m.headers]),
        sent.map((m) => [m.key, m.value, m.partition, [...m.headers.entries()]]),
      );
      // Offsets 0, 1, 2 on partition 0 and 0, 1 on partition 1, each message once.
      assert.deepEqual(got.map((m) => `${m.partition}:${m.offset}`).sort(), ['0:0', '0:1', '0:2', '1:0', '1:1']);
    } finally {
      await consumer.close(true);
      await producer.close();
      await admin.close();
    }
  });
});

test('@platformatic/kafka commits offsets beyond 2^53 and reads them back exactly', async () => {
  await withBroker(async (broker) => {
    const admin = new Admin(clientOptions(broker.bootstrap, 'plt-offsets'));
    try {
      await admin.createTopics({ topics: ['plt-offsets'], partitions: 2, replicas: 1 });
      const max = 2n ** 63n - 1n;
      const odd = 2n ** 53n + 1n;
      await admin.alterConsumerGroupOffsets({ groupId: 'plt-big', topics: [{ name: 'plt-offsets', partitionOffsets: [{ partition: 0, offset: max }, { partition: 1, offset: odd }] }] });
      const [group] = await admin.listConsumerGroupOffsets({ groups: ['plt-big'] });
      const partitions = group!.topics.find((t) => t.name === 'plt-offsets')!.partitions;
      assert.deepEqual(partitions.map((p) => [p.partitionIndex, p.committedOffset]).sort(), [[0, max], [1, odd]]);
    } finally {
      await admin.close();
    }
  });
});
