import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Broker } from '../../src/broker/broker.js';
import { createClient, ErrorCode, KafkaError, type Client, type ConsumerMessage, type ProducerMessage } from '../../src/client/index.js';
import { partitionForKey } from '../../src/util/murmur2.js';

let broker: Broker;
let client: Client;

before(async () => {
  broker = await Broker.start({ port: 0 });
  client = createClient({ bootstrapServers: broker.bootstrap, clientId: 'client-test', retryBackoffMs: 20 });
});

after(async () => {
  await client.close();
  await broker.stop();
});

/** Polls until `count` messages arrived or `timeoutMs` passed. */
async function collect(consumer: ReturnType<Client['consumer']>, count: number, timeoutMs = 10_000): Promise<ConsumerMessage[]> {
  const out: ConsumerMessage[] = [];
  const deadline = Date.now() + timeoutMs;
  while (out.length < count && Date.now() < deadline) out.push(...(await consumer.poll({ timeoutMs: 500 })));
  return out;
}

test('1000 messages across 3 partitions come back dense, in order, with keys, headers and nulls intact', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'thousand', numPartitions: 3, replicationFactor: 1 }]);
  const producer = client.producer();
  const sent: ProducerMessage[] = [];
  for (let i = 0; i < 1000; i++) {
    sent.push({
      key: i % 10 === 0 ? null : `key-${i % 37}`,
      value: i % 50 === 7 ? null : `value-${i}`,
      headers: i % 3 === 0 ? [{ key: 'n', value: String(i) }, { key: 'empty', value: null }] : undefined,
      timestamp: 1_700_000_000_000 + i,
    });
  }
  for (let i = 0; i < sent.length; i += 100) {
    const results = await producer.send({ topic: 'thousand', messages: sent.slice(i, i + 100), compression: i === 500 ? 'gzip' : 'none' });
    for (const r of results) assert.ok(r.baseOffset >= 0);
  }

  const consumer = client.consumer();
  consumer.assign([0, 1, 2].map((partition) => ({ topic: 'thousand', partition, offset: 0 })));
  const got = await collect(consumer, 1000);
  assert.equal(got.length, 1000);

  const byPartition = new Map<number, ConsumerMessage[]>();
  for (const m of got) byPartition.set(m.partition, [...(byPartition.get(m.partition) ?? []), m]);
  assert.equal(byPartition.size, 3, 'keys spread over all three partitions');
  const seen = new Map<number, ConsumerMessage>();
  for (const [partition, msgs] of byPartition) {
    msgs.forEach((m, i) => assert.equal(m.offset, i, `partition ${partition} offsets are dense from 0`));
    for (const m of msgs) {
      const i = m.timestamp - 1_700_000_000_000;
      seen.set(i, m);
      const orig = sent[i]!;
      assert.equal(m.key === null ? null : m.key.toString(), orig.key);
      assert.equal(m.value === null ? null : m.value.toString(), orig.value);
      if (orig.key !== null && orig.key !== undefined) assert.equal(m.partition, partitionForKey(Buffer.from(orig.key as string), 3));
      if (i % 3 === 0) {
        assert.deepEqual(m.headers.map((h) => [h.key, h.value?.toString() ?? null]), [['n', String(i)], ['empty', null]]);
      } else {
        assert.deepEqual(m.headers, []);
      }
    }
    // Messages of one partition keep the order they were sent in.
    const order = msgs.map((m) => m.timestamp);
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
  }
  assert.equal(seen.size, 1000);

  const latest = await admin.listOffsets('thousand', 0, -1);
  const earliest = await admin.listOffsets('thousand', 0, -2);
  assert.equal(earliest.offset, 0);
  assert.equal(latest.offset, byPartition.get(0)!.length);
  await consumer.close();
});

test('the async iterator hands out messages one by one and keeps the rest after a break', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'iter', numPartitions: 1, replicationFactor: 1 }]);
  await client.producer().send({ topic: 'iter', messages: ['a', 'b', 'c', 'd'].map((value) => ({ value })) });
  const consumer = client.consumer({ autoOffsetReset: 'earliest' });
  consumer.assign([{ topic: 'iter', partition: 0 }]);
  const firstTwo: string[] = [];
  for await (const m of consumer) {
    firstTwo.push(m.value!.toString());
    if (firstTwo.length === 2) break;
  }
  assert.deepEqual(firstTwo, ['a', 'b']);
  assert.equal(consumer.position('iter', 0), 2);
  const rest = await collect(consumer, 2);
  assert.deepEqual(rest.map((m) => m.value!.toString()), ['c', 'd']);
  await consumer.close();
});

test('admin errors carry Kafka codes and readable messages', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'dup', numPartitions: 2, replicationFactor: 1 }]);
  await assert.rejects(admin.createTopics([{ topic: 'dup', numPartitions: 1 }]), (err: unknown) => {
    assert.ok(err instanceof KafkaError);
    assert.equal(err.code, ErrorCode.TOPIC_ALREADY_EXISTS);
    assert.match(err.message, /dup/);
    return true;
  });
  const [info] = await admin.describeTopics(['dup']);
  assert.equal(info!.partitions.length, 2);
  assert.deepEqual(info!.partitions.map((p) => [p.leader, p.replicas, p.isr]), [[1, [1], [1]], [1, [1], [1]]]);
  assert.ok((await admin.listTopics()).includes('dup'));
  await admin.deleteTopics(['dup']);
  assert.ok(!(await admin.listTopics()).includes('dup'));
  await assert.rejects(admin.deleteTopics(['dup']), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await assert.rejects(admin.describeTopics(['never-made']), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});

test('acks=0 and acks=1 sends land; an out-of-range position resets per autoOffsetReset', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'acks', numPartitions: 1, replicationFactor: 1 }]);
  const producer = client.producer({ acks: 1 });
  const [r1] = await producer.send({ topic: 'acks', messages: [{ value: 'one' }] });
  assert.equal(r1!.baseOffset, 0);
  const [r0] = await producer.send({ topic: 'acks', acks: 0, messages: [{ value: 'zero' }], compression: 'snappy' });
  assert.equal(r0!.baseOffset, -1);

  const consumer = client.consumer({ autoOffsetReset: 'earliest' });
  consumer.assign([{ topic: 'acks', partition: 0, offset: 1_000_000 }]);
  const got = await collect(consumer, 2);
  assert.deepEqual(got.map((m) => [m.offset, m.value!.toString()]), [[0, 'one'], [1, 'zero']]);
  await consumer.close();

  const strict = client.consumer({ autoOffsetReset: 'none' });
  strict.assign([{ topic: 'acks', partition: 0, offset: 1_000_000 }]);
  await assert.rejects(strict.poll({ timeoutMs: 2000 }), (err: unknown) => err instanceof KafkaError && err.code === ErrorCode.OFFSET_OUT_OF_RANGE);
  await strict.close();
});

test('a consumer starting at latest sees only what is produced after it started', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'tail', numPartitions: 1, replicationFactor: 1 }]);
  const producer = client.producer();
  await producer.send({ topic: 'tail', messages: [{ value: 'old' }] });
  const consumer = client.consumer();
  consumer.assign([{ topic: 'tail', partition: 0, offset: 'latest' }]);
  assert.deepEqual(await consumer.poll({ timeoutMs: 300 }), []);
  await producer.send({ topic: 'tail', messages: [{ value: 'new' }] });
  const got = await collect(consumer, 1);
  assert.deepEqual(got.map((m) => m.value!.toString()), ['new']);
  await consumer.close();
});

test('producing to a partition that does not exist is refused before sending', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'small', numPartitions: 1, replicationFactor: 1 }]);
  await assert.rejects(client.producer().send({ topic: 'small', messages: [{ value: 'x', partition: 5 }] }), /does not exist/);
});

test('fetches sent ahead: data stays dense and in order across seek, pause and resume', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'ahead', numPartitions: 2, replicationFactor: 1 }]);
  const producer = client.producer();
  const perPartition = 3000;
  for (let from = 0; from < perPartition; from += 250) {
    for (const partition of [0, 1]) {
      const messages = Array.from({ length: 250 }, (_, i) => ({ partition, value: `${partition}-${from + i}`.padEnd(100, '.') }));
      await producer.send({ topic: 'ahead', messages });
    }
  }
  // Small fetches (one 250-message batch per partition), so that reading it all takes many
  // rounds, each sending the next one ahead.
  const consumer = client.consumer({ partitionMaxBytes: 30_000 });
  consumer.assign([{ topic: 'ahead', partition: 0, offset: 0 }, { topic: 'ahead', partition: 1, offset: 0 }]);
  const seen: Array<[number, number]> = [];
  const next = [0, 0];
  const take = async (want: (p: number) => boolean): Promise<void> => {
    for (const m of await consumer.poll({ timeoutMs: 2000 })) {
      assert.ok(want(m.partition), `partition ${m.partition} was not expected now`);
      assert.equal(m.offset, next[m.partition], `partition ${m.partition} skipped or repeated an offset`);
      assert.equal(m.value!.toString().replace(/\.+$/, ''), `${m.partition}-${m.offset}`);
      next[m.partition]!++;
      seen.push([m.partition, m.offset]);
    }
  };
  while (next[0]! < 500 || next[1]! < 500) await take(() => true);
  // A seek while a fetch is out: nothing of the old position comes back.
  consumer.seek({ topic: 'ahead', partition: 0, offset: 100 });
  next[0] = 100;
  await take(() => true);
  // Paused: no data for partition 1, whatever was fetched ahead for it.
  consumer.pause([{ topic: 'ahead', partition: 1 }]);
  const resumeAt = consumer.position('ahead', 1)!;
  assert.equal(resumeAt, next[1]);
  for (let i = 0; i < 5; i++) await take((p) => p === 0);
  consumer.resume([{ topic: 'ahead', partition: 1 }]);
  while (next[0]! < perPartition || next[1]! < perPartition) await take(() => true);
  assert.deepEqual(next, [perPartition, perPartition]);
  assert.ok(seen.length > perPartition * 2 - 100);
  await consumer.close();
});

test('a small maxBytes does not starve later partitions: each fetch starts one partition further on', async () => {
  const admin = client.admin();
  await admin.createTopics([{ topic: 'fair', numPartitions: 3, replicationFactor: 1 }]);
  const producer = client.producer();
  for (let partition = 0; partition < 3; partition++) {
    // One batch per send, so a fetch limited to one batch's size takes one batch of one partition.
    for (let s = 0; s < 20; s++) await producer.send({ topic: 'fair', messages: Array.from({ length: 10 }, (_, i) => ({ value: `${partition}-${s}-${i}`.padEnd(200, '.'), partition })) });
  }
  const consumer = client.consumer({ maxBytes: 1, partitionMaxBytes: 1 });
  consumer.assign([0, 1, 2].map((partition) => ({ topic: 'fair', partition, offset: 0 })));
  const got = await collect(consumer, 90);
  await consumer.close();
  // A third of what the partitions hold: without rotation, all of it would come from partition 0.
  const perPartition = [0, 1, 2].map((p) => got.slice(0, 90).filter((m) => m.partition === p).length);
  assert.ok(perPartition.every((n) => n >= 20), `messages per partition among the first 90: ${perPartition.join(', ')}`);
});
