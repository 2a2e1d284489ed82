/**
 * Samsa's consumer with groupProtocol 'consumer' (KIP-848): two members of one group get the
 * broker's split of the partitions, each reads only its own and everything once; when one leaves,
 * the other takes over its partitions from the committed offsets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type ConsumerMessage } from '../../src/client/index.js';
import { fileURLToPath } from 'node:url';
import { run, withBroker } from '../helpers/broker.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

test("Samsa's consumer with groupProtocol 'consumer': two members split the partitions, commit, and the survivor takes over", { timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'new-protocol', numPartitions: 4, replicationFactor: 1, configs: {} });
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      const producer = kafka.producer();
      const member = () => {
        const c = kafka.consumer({ groupId: 'kip848-samsa', groupProtocol: 'consumer', autoOffsetReset: 'earliest', autoCommit: false });
        c.subscribe(['new-protocol']);
        return c;
      };
      const a = member();
      const b = member();
      const got: Array<[string, ConsumerMessage]> = [];
      const deadline = Date.now() + 30_000;
      const settled = () => a.assignment().length > 0 && b.assignment().length > 0 && a.assignment().length + b.assignment().length === 4;
      // Poll both until the broker's assignment has settled into two halves, then produce and read.
      while (Date.now() < deadline && !settled()) for (const c of [a, b]) got.push(...(await c.poll({ timeoutMs: 200 })).map((m) => ['?', m] as [string, ConsumerMessage]));
      assert.equal(got.length, 0);
      for (let i = 0; i < 80; i++) await producer.send({ topic: 'new-protocol', messages: [{ value: String(i), partition: i % 4 }] });
      while (Date.now() < deadline && got.length < 80) {
        for (const [name, c] of [['a', a], ['b', b]] as const) for (const m of await c.poll({ timeoutMs: 200 })) got.push([name, m]);
      }
      const aParts = a.assignment().map((tp) => tp.partition).sort();
      const bParts = b.assignment().map((tp) => tp.partition).sort();
      assert.ok(aParts.length > 0 && bParts.length > 0, `both members hold partitions: ${JSON.stringify([aParts, bParts])}`);
      assert.deepEqual([...aParts, ...bParts].sort(), [0, 1, 2, 3]);
      assert.deepEqual(got.map(([, m]) => Number(m.value!.toString())).sort((x, y) => x - y), Array.from({ length: 80 }, (_, i) => i), 'every record once');
      for (const [name, m] of got) assert.ok((name === 'a' ? aParts : bParts).includes(m.partition), `${name} read only its own partitions`);
      await a.commitSync();
      await b.commitSync();
      // kafka-consumer-groups.sh sees the group through ConsumerGroupDescribe (DescribeGroups calls it Dead).
      const cli = (...args: string[]) => run(process.execPath, [CLI, 'consumer-groups', '--bootstrap-server', broker.bootstrap, '--describe', '--group', 'kip848-samsa', ...args], { timeoutMs: 30_000 });
      const state = await cli('--state');
      assert.match(state.stdout, /^kip848-samsa\s+\S+:\d+ {2}\(1\)\s+uniform\s+Stable\s+2$/m, state.stdout + state.stderr);
      const offsets = await cli();
      assert.equal(offsets.stdout.trim().split('\n').filter((l) => /^kip848-samsa\s+new-protocol\s+\d\s+20\s+20\s+0\s/.test(l)).length, 4, offsets.stdout + offsets.stderr);
      await a.close();
      // b takes a's partitions from its commits: the next 8 records, none of the old ones.
      for (let i = 80; i < 88; i++) await producer.send({ topic: 'new-protocol', messages: [{ value: String(i), partition: i % 4 }] });
      const later: number[] = [];
      const until = Date.now() + 30_000;
      while (Date.now() < until && (later.length < 8 || b.assignment().length !== 4)) for (const m of await b.poll({ timeoutMs: 200 })) later.push(Number(m.value!.toString()));
      assert.equal(b.assignment().length, 4, 'the survivor holds every partition');
      assert.deepEqual(later.sort((x, y) => x - y), [80, 81, 82, 83, 84, 85, 86, 87]);
      await b.close();
    } finally {
      await kafka.close();
    }
  }, { config: { 'offsets.topic.num.partitions': '3' } });
});
