/**
 * kafka-share-groups.sh: --list, --describe (start offsets and lag), --describe --members and
 * --state, in Kafka's columns, of a share group Samsa's share consumer is in; --reset-offsets of a
 * group with a member is refused with Kafka's sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { run, withBroker } from '../helpers/broker.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-share-groups.sh', import.meta.url));

test('kafka-share-groups.sh lists and describes a share group as Kafka does; --reset-offsets is refused while it has a member', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap, clientId: 'cli-worker' });
    try {
      await kafka.admin().createTopics([{ topic: 'tasks', numPartitions: 2 }]);
      await kafka.admin().incrementalAlterConfigs({ type: 'group', name: 'crew' }, [{ name: 'share.auto.offset.reset', op: 'set', value: 'earliest' }]);
      await kafka.producer().send({ topic: 'tasks', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })) });
      const worker = kafka.shareConsumer({ groupId: 'crew' });
      worker.subscribe(['tasks']);
      let got = 0;
      for (let i = 0; i < 50 && got < 10; i++) got += (await worker.poll({ timeoutMs: 200 })).length;
      assert.equal(got, 10);
      await worker.commitSync();
      const cli = (...args: string[]) => run(BIN, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 30_000 });
      const listed = await cli('--list');
      assert.equal(listed.stdout, 'crew\n', listed.stderr);
      const offsets = await cli('--describe', '--group', 'crew');
      assert.equal(offsets.code, 0, offsets.stderr);
      assert.deepEqual(offsets.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/)), [
        ['GROUP', 'TOPIC', 'PARTITION', 'START-OFFSET', 'LAG'],
        ['crew', 'tasks', '0', '5', '0'],
        ['crew', 'tasks', '1', '5', '0'],
      ]);
      const members = await cli('--describe', '--group', 'crew', '--members', '--verbose');
      const rows = members.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/));
      assert.deepEqual(rows[0], ['GROUP', 'CONSUMER-ID', 'HOST', 'CLIENT-ID', '#PARTITIONS', 'ASSIGNMENT']);
      assert.deepEqual([rows[1]![0], rows[1]![3], rows[1]![4], rows[1]![5]], ['crew', 'cli-worker', '2', 'tasks:0,tasks:1']);
      const state = await cli('--describe', '--group', 'crew', '--state');
      assert.match(state.stdout, /^crew\s+\S+:\d+ {2}\(1\)\s+Stable\s+1$/m);
      const reset = await cli('--reset-offsets', '--group', 'crew', '--topic', 'tasks', '--to-earliest', '--execute');
      assert.equal(reset.code, 1);
      assert.equal(reset.stderr, "Share group 'crew' is not empty.\n");
      await worker.close();
    } finally {
      await kafka.close();
    }
  });
});
