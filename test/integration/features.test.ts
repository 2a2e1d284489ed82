/**
 * kafka-features.sh describe: Kafka's lines for the features the broker serves (group.version with
 * ConsumerGroupHeartbeat, share.version with ShareGroupHeartbeat, transaction.version 2 with EndTxn
 * v5), read from ApiVersions v3;
 * changing a feature is refused with a sentence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { run, withBroker } from '../helpers/broker.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-features.sh', import.meta.url));

test('kafka-features.sh describe lists what ApiVersions advertises, in Kafka\'s format; upgrade is refused', { timeout: 60_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    try {
      const f = await kafka.admin().describeFeatures();
      const served = new Set((await kafka.admin().apiVersions()).keys());
      const expected: Array<[string, number]> = [
        ...(served.has(68) ? [['group.version', 1] as [string, number]] : []),
        ...(served.has(76) ? [['share.version', 1] as [string, number]] : []),
        ['transaction.version', 2],
      ];
      assert.deepEqual([...f.finalized.keys()].sort(), expected.map(([n]) => n));
      const r = await run(BIN, ['--bootstrap-server', broker.bootstrap, 'describe'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, expected.map(([n, l]) => `Feature: ${n}\tSupportedMinVersion: 0\tSupportedMaxVersion: ${l}\tFinalizedVersionLevel: ${l}\tEpoch: 1\n`).join(''));
      const up = await run(BIN, ['--bootstrap-server', broker.bootstrap, 'upgrade', '--feature', 'group.version=1'], { timeoutMs: 30_000 });
      assert.notEqual(up.code, 0);
      assert.match(up.stderr, /'upgrade' is not served/);
    } finally {
      await kafka.close();
    }
  });
});
