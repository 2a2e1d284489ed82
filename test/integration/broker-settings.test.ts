/**
 * Broker and topic settings that clients notice, end to end with clients nobody here wrote:
 * max.message.bytes (also after a runtime change), auto.create.topics.enable=false,
 * delete.topic.enable=false and socket.request.max.bytes with KafkaJS; read_committed while a
 * transaction is still open with kcat (librdkafka) against a KafkaJS transactional producer.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { createClient } from '../../src/client/index.js';
import { closedWithin, installed, rawSocket, run, withBroker } from '../helpers/broker.js';

const TOPIC_RESOURCE = 2;
const BROKER_RESOURCE = 4;

const HAVE_KCAT = await installed('kcat', ['-V']);

function kafkaFor(broker: Broker, retries = 0): Kafka {
  return new Kafka({ clientId: 'settings-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries, initialRetryTime: 50 } });
}

/** The Kafka error name a KafkaJS call failed with (KafkaJS wraps protocol errors once or twice). */
function errorType(err: any): string {
  for (let e = err; e !== undefined && e !== null; e = e.cause ?? e.originalError) if (typeof e.type === 'string' && e.type !== 'UNKNOWN') return e.type;
  return String(err?.message ?? err);
}

async function rejectsWith(p: Promise<unknown>, type: string, what: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.equal(errorType(err), type, what);
    return true;
  });
}

test('max.message.bytes: a batch a byte above it gets MESSAGE_TOO_LARGE, one of exactly that size is stored; topic and broker changes at runtime apply to the next produce', async () => {
  await withBroker(async (broker) => {
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'capped', configEntries: [{ name: 'max.message.bytes', value: '1000' }] }, { topic: 'default-capped' }] });
      // One keyless record per batch, uncompressed: the 61-byte batch header, the record's length
      // (2 bytes), attributes, timestamp and offset deltas, key length (1 byte each), value length
      // (2 bytes), the value and the header count (1 byte): 70 bytes more than the value.
      const send = (topic: string, valueBytes: number) => producer.send({ topic, acks: -1, messages: [{ value: Buffer.alloc(valueBytes, 120) }] });
      await send('capped', 1000 - 70);
      await rejectsWith(send('capped', 1000 - 70 + 1), 'MESSAGE_TOO_LARGE', 'a batch one byte over max.message.bytes=1000');
      await rejectsWith(send('capped', 2000), 'MESSAGE_TOO_LARGE', 'a 2000-byte value under max.message.bytes=1000');
      const alter = (type: number, name: string, key: string, value: string) =>
        admin.alterConfigs({ validateOnly: false, resources: [{ type, name, configEntries: [{ name: key, value }] }] });
      await alter(TOPIC_RESOURCE, 'capped', 'max.message.bytes', '5000');
      await send('capped', 2000);
      await alter(TOPIC_RESOURCE, 'capped', 'max.message.bytes', '1000');
      await rejectsWith(send('capped', 2000), 'MESSAGE_TOO_LARGE', 'after lowering max.message.bytes again');

      // The broker's message.max.bytes governs topics without their own: set at runtime as the
      // cluster-wide default (Samsa's admin: KafkaJS cannot name it), then for this broker, which wins.
      await send('default-capped', 2000);
      const samsa = createClient({ bootstrapServers: broker.bootstrap });
      try {
        await samsa.admin().incrementalAlterConfigs({ type: 'broker', name: '' }, [{ name: 'message.max.bytes', op: 'set', value: '1000' }]);
      } finally {
        await samsa.close();
      }
      await rejectsWith(send('default-capped', 2000), 'MESSAGE_TOO_LARGE', 'after a cluster-wide message.max.bytes=1000');
      await alter(BROKER_RESOURCE, String(broker.config.nodeId), 'message.max.bytes', '3000');
      await send('default-capped', 2000);
      await alter(BROKER_RESOURCE, String(broker.config.nodeId), 'message.max.bytes', '1000');
      await rejectsWith(send('default-capped', 2000), 'MESSAGE_TOO_LARGE', "after this broker's message.max.bytes=1000");
      await send('capped', 800);
      const offsets = await admin.fetchTopicOffsets('capped');
      assert.equal(offsets[0]!.high, '3', 'only the accepted batches were stored');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});

test('an append larger than segment.bytes gets RECORD_LIST_TOO_LARGE, as in Kafka; one that fits is stored', async () => {
  await withBroker(async (broker) => {
    const kafka = kafkaFor(broker);
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await admin.connect();
    await producer.connect();
    try {
      await admin.createTopics({ topics: [{ topic: 'small-segments', configEntries: [{ name: 'segment.bytes', value: '1024' }] }] });
      await rejectsWith(producer.send({ topic: 'small-segments', acks: -1, messages: [{ value: Buffer.alloc(2000, 1) }] }), 'RECORD_LIST_TOO_LARGE', 'a 2070-byte batch with segment.bytes=1024');
      const [r] = await producer.send({ topic: 'small-segments', acks: -1, messages: [{ value: Buffer.alloc(1024 - 70, 1) }] });
      assert.equal(r!.baseOffset, '0', 'a batch of exactly segment.bytes is stored');
      assert.equal((await admin.fetchTopicOffsets('small-segments'))[0]!.high, '1');
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });
});

test('auto.create.topics.enable=false: metadata and produce for an unknown topic get UNKNOWN_TOPIC_OR_PARTITION and create nothing', async () => {
  await withBroker(
    async (broker) => {
      const kafka = kafkaFor(broker);
      const admin = kafka.admin();
      const producer = kafka.producer({ allowAutoTopicCreation: true });
      await admin.connect();
      await producer.connect();
      try {
        await rejectsWith(admin.fetchTopicMetadata({ topics: ['nowhere'] }), 'UNKNOWN_TOPIC_OR_PARTITION', 'metadata');
        await rejectsWith(producer.send({ topic: 'nowhere', messages: [{ value: 'x' }] }), 'UNKNOWN_TOPIC_OR_PARTITION', 'produce');
        assert.deepEqual(await admin.listTopics(), []);
        assert.equal(broker.topics.get('nowhere'), undefined);
      } finally {
        await producer.disconnect();
        await admin.disconnect();
      }
    },
    { config: { 'auto.create.topics.enable': 'false' } },
  );
});

test('delete.topic.enable=false: DeleteTopics gets TOPIC_DELETION_DISABLED and the topic stays', async () => {
  await withBroker(
    async (broker) => {
      const admin = kafkaFor(broker).admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'keep' }] });
        await rejectsWith(admin.deleteTopics({ topics: ['keep'] }), 'TOPIC_DELETION_DISABLED', 'delete');
        assert.deepEqual(await admin.listTopics(), ['keep']);
      } finally {
        await admin.disconnect();
      }
    },
    { config: { 'delete.topic.enable': 'false' } },
  );
});

test('socket.request.max.bytes: a larger request frame closes that connection only', async () => {
  await withBroker(
    async (broker) => {
      const kafka = kafkaFor(broker);
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'framed' }] });
        // A size prefix one above the limit is refused before any body arrives.
        const raw = await rawSocket(broker);
        raw.write(Buffer.from([0, 0, 0x10, 0x01]));
        assert.equal(await closedWithin(raw, 5000), true, 'a 4097-byte frame closes the connection');
        // KafkaJS producing a batch above the limit loses its connection: the send fails.
        const producer = kafka.producer({ allowAutoTopicCreation: false });
        await producer.connect();
        try {
          await assert.rejects(producer.send({ topic: 'framed', messages: [{ value: Buffer.alloc(8000, 1) }] }));
        } finally {
          await producer.disconnect();
        }
        // Other connections carry on; a request at the limit's side is served.
        assert.deepEqual(await admin.listTopics(), ['framed']);
        const small = kafka.producer({ allowAutoTopicCreation: false });
        await small.connect();
        try {
          const [r] = await small.send({ topic: 'framed', acks: -1, messages: [{ value: Buffer.alloc(1000, 2) }] });
          assert.equal(r!.errorCode, 0);
        } finally {
          await small.disconnect();
        }
        assert.equal((await admin.fetchTopicOffsets('framed'))[0]!.high, '1', 'only the small batch was stored');
      } finally {
        await admin.disconnect();
      }
    },
    { config: { 'socket.request.max.bytes': '4096' } },
  );
});

test('read_committed while a KafkaJS transaction is open: kcat reads up to the last stable offset only, then everything once it commits', { skip: !HAVE_KCAT && 'kcat not installed' }, async () => {
  await withBroker(
    async (broker) => {
      const kafka = kafkaFor(broker, 5);
      const admin = kafka.admin();
      await admin.connect();
      const plain = kafka.producer({ allowAutoTopicCreation: false });
      const txProducer = kafka.producer({ transactionalId: 'open-txn', maxInFlightRequests: 1, idempotent: true, allowAutoTopicCreation: false });
      await plain.connect();
      await txProducer.connect();
      try {
        await admin.createTopics({ topics: [{ topic: 'pending', numPartitions: 1 }] });
        await plain.send({ topic: 'pending', acks: -1, messages: [{ value: 'before-0' }, { value: 'before-1' }] });
        const txn = await txProducer.transaction();
        await txn.send({ topic: 'pending', messages: [{ value: 'in-txn-0' }, { value: 'in-txn-1' }] });
        // Written after the open transaction's records: above the last stable offset too.
        await plain.send({ topic: 'pending', acks: -1, messages: [{ value: 'after' }] });

        const kcat = async (isolation: string): Promise<string[]> => {
          const r = await run('kcat', ['-b', broker.bootstrap, '-C', '-t', 'pending', '-p', '0', '-o', 'beginning', '-e', '-q', '-X', `isolation.level=${isolation}`, '-f', '%s\\n'], { timeoutMs: 30_000 });
          assert.equal(r.code, 0, r.stderr);
          return r.stdout.split('\n').filter((l) => l !== '');
        };
        assert.deepEqual(await kcat('read_committed'), ['before-0', 'before-1'], 'read_committed stops at the open transaction');
        assert.deepEqual(await kcat('read_uncommitted'), ['before-0', 'before-1', 'in-txn-0', 'in-txn-1', 'after']);
        await txn.commit();
        assert.deepEqual(await kcat('read_committed'), ['before-0', 'before-1', 'in-txn-0', 'in-txn-1', 'after'], 'after the commit, everything');
      } finally {
        await txProducer.disconnect();
        await plain.disconnect();
        await admin.disconnect();
      }
    },
    { config: { 'transaction.state.log.replication.factor': '1', 'transaction.state.log.min.isr': '1' } },
  );
});
