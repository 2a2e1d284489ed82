// ListOffsets at the wire: MAX_TIMESTAMP (-3, v7+) names the record with the largest timestamp
// even in the middle of its batch (KAFKA-16310); a special timestamp a version does not know
// gets UNSUPPORTED_VERSION, as Kafka answers. kcat -Q (librdkafka 2.0.2, ListOffsets v2) too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker, run } from '../helpers/broker.js';
import { WireClient } from '../helpers/broker-process.js';
import { createClient } from '../../src/client/index.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const HAVE_KCAT = (await run('kcat', ['-V'], { timeoutMs: 10_000 }).catch(() => ({ code: 1 }))).code === 0;
const T0 = 1_700_000_000_000;

async function listOffset(w: WireClient, version: number, timestamp: number) {
  const r = await w.request(2, version, { replicaId: -1, isolationLevel: 0, topics: [{ name: 'stamps', partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp }] }] });
  const p = r.topics[0].partitions[0];
  return [p.errorCode, p.offset, p.timestamp];
}

test('ListOffsets: -3 at v7 is the max-timestamp record in the middle of its batch; unknown special times are UNSUPPORTED_VERSION', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const w = await WireClient.connect(broker.port);
    try {
      await kafka.admin().createTopics([{ topic: 'stamps', numPartitions: 1 }]);
      const producer = kafka.producer();
      await producer.send({ topic: 'stamps', compression: 'gzip', messages: [T0, T0 + 9000, T0 + 5000].map((timestamp, i) => ({ value: `a${i}`, partition: 0, timestamp })) });
      await producer.send({ topic: 'stamps', messages: [T0 + 1000, T0 + 8000].map((timestamp, i) => ({ value: `b${i}`, partition: 0, timestamp })) });
      assert.deepEqual(await listOffset(w, 7, -3), [0, 1, T0 + 9000]);
      assert.deepEqual(await listOffset(w, 7, T0 + 6000), [0, 1, T0 + 9000], 'the first record, by offset, at or after a time');
      assert.deepEqual(await listOffset(w, 7, T0 + 9500), [0, -1, -1], 'none at or after a later time');
      for (const version of [1, 2, 3, 4, 5, 6]) assert.deepEqual((await listOffset(w, version, -3))[0], ErrorCode.UNSUPPORTED_VERSION, `v${version}`);
      for (const timestamp of [-4, -5, -6]) assert.deepEqual((await listOffset(w, 7, timestamp))[0], ErrorCode.UNSUPPORTED_VERSION, `${timestamp}`);
      if (HAVE_KCAT) {
        // kcat -Q answers each partition's first offset at or after a time (librdkafka's offsets_for_times).
        const q = await run('kcat', ['-b', broker.bootstrap, '-Q', '-t', `stamps:0:${T0 + 6000}`], { timeoutMs: 30_000 });
        assert.equal(q.code, 0, q.stderr);
        assert.match(q.stdout, /stamps \[0\]\s+offset 1\b/);
        // librdkafka 2.0.2 asks for -3 at ListOffsets v2, which Kafka refuses with UNSUPPORTED_VERSION.
        const max = await run('kcat', ['-b', broker.bootstrap, '-Q', '-t', 'stamps:0:-3'], { timeoutMs: 30_000 });
        assert.notEqual(max.code, 0);
        assert.match(max.stderr, /API version not supported/);
      }
    } finally {
      w.close();
      await kafka.close();
    }
  });
});
