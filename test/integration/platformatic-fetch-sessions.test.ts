// @platformatic/kafka 2.x (Node 22), which keeps incremental fetch sessions (KIP-227), reading 200
// partitions: the broker sees incremental fetches that carry only the partitions with news (none
// when idle), and every record arrives exactly once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withBroker } from '../helpers/broker.js';
import { runNode22 } from '../helpers/node22.js';
import { createClient } from '../../src/client/index.js';

const PARTITIONS = 200;
const FIRST_WAVE_PER_PARTITION = 5;
/** Partitions written to once the consumer has gone idle on its session. */
const SECOND_WAVE_PARTITIONS = 10;
const SECOND_WAVE_PER_PARTITION = 3;
const TOTAL = PARTITIONS * FIRST_WAVE_PER_PARTITION + SECOND_WAVE_PARTITIONS * SECOND_WAVE_PER_PARTITION;
/** After the last expected record, how long the consumer keeps reading to catch any duplicate. */
const LINGER_MS = 1500;

const CONSUMER = `
import { Consumer, MessagesStreamModes, stringDeserializers } from '@platformatic/kafka-2';
const [bootstrap, topic, total, lingerMs] = process.argv.slice(1);
const consumer = new Consumer({ clientId: 'plt2-sessions', bootstrapBrokers: [bootstrap], groupId: 'plt2-sessions', deserializers: stringDeserializers, maxWaitTime: 200, retries: 50, retryDelay: 100 });
const stream = await consumer.consume({ topics: [topic], mode: MessagesStreamModes.EARLIEST, autocommit: false });
const timer = setTimeout(() => { console.error('timed out after ' + n + ' records'); process.exit(2); }, 90000);
let n = 0;
for await (const m of stream) {
  process.stdout.write(m.partition + ':' + m.offset + ':' + m.value + '\\n');
  if (++n === Number(total)) setTimeout(() => stream.close(), Number(lingerMs));
}
clearTimeout(timer);
await consumer.close(true);
`;

test('@platformatic/kafka 2 reads 200 partitions over an incremental fetch session, each record once', { timeout: 180_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const log: Array<[sent: number, size: number]> = [];
    broker.fetchSessions.onIncremental = (sent, size) => log.push([sent, size]);
    try {
      await kafka.admin().createTopics([{ topic: 'wide', numPartitions: PARTITIONS }]);
      const producer = kafka.producer();
      const expected = new Set<string>();
      const first = [];
      for (let p = 0; p < PARTITIONS; p++) {
        for (let i = 0; i < FIRST_WAVE_PER_PARTITION; i++) {
          first.push({ partition: p, value: `a-${p}-${i}` });
          expected.add(`${p}:${i}:a-${p}-${i}`);
        }
      }
      await producer.send({ topic: 'wide', messages: first });
      const consumed = runNode22(CONSUMER, [broker.bootstrap, 'wide', String(TOTAL), String(LINGER_MS)], { timeoutMs: 120_000 });

      // Once the consumer has everything and its incremental fetches come back empty, write more.
      const deadline = Date.now() + 90_000;
      while (!log.some(([sent, size]) => sent === 0 && size === PARTITIONS) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.ok(log.some(([sent, size]) => sent === 0 && size === PARTITIONS), `an idle incremental fetch of the 200-partition session (log: ${JSON.stringify(log.slice(0, 20))})`);
      const idleFrom = log.length;
      const second = [];
      for (let p = 0; p < SECOND_WAVE_PARTITIONS; p++) {
        for (let i = 0; i < SECOND_WAVE_PER_PARTITION; i++) {
          const partition = p * 17;
          second.push({ partition, value: `b-${partition}-${i}` });
          expected.add(`${partition}:${FIRST_WAVE_PER_PARTITION + i}:b-${partition}-${i}`);
        }
      }
      await producer.send({ topic: 'wide', messages: second });

      const result = await consumed;
      assert.equal(result.code, 0, result.stderr);
      const got = result.stdout.trim().split('\n');
      assert.equal(got.length, TOTAL, 'no record twice');
      assert.deepEqual(new Set(got), expected);
      assert.equal(new Set(got).size, got.length);

      const after = log.slice(idleFrom);
      assert.ok(after.length > 0);
      assert.ok(after.every(([sent, size]) => sent <= SECOND_WAVE_PARTITIONS && size === PARTITIONS), `after the second wave each incremental fetch carries at most the ${SECOND_WAVE_PARTITIONS} partitions written to: ${JSON.stringify(after)}`);
      assert.ok(after.some(([sent]) => sent > 0), 'and some carry them');
      const stats = broker.fetchSessions.snapshot();
      console.log(`incremental fetches ${stats.incrementalFetches}, partitions answered in them ${stats.incrementalPartitionsSent} (a full fetch answers ${PARTITIONS} each)`);
    } finally {
      broker.fetchSessions.onIncremental = null;
      await kafka.close();
    }
  });
});
