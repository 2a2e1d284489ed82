/**
 * The share coordinator's broker-only APIs (keys 83–87) on the wire: with an authorizer, a
 * principal without ClusterAction gets CLUSTER_AUTHORIZATION_FAILED on every partition; a super
 * user writes, reads, summarizes, re-initializes and deletes a share-partition's state, fenced by
 * leader and state epochs as Kafka's coordinator fences them. ApiVersions lists the APIs only with
 * unstable.api.versions.enable=true, as Kafka does for their unstable v0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Broker } from '../../src/broker/broker.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { WireClient } from '../helpers/broker-process.js';

const AUTHORIZER = { 'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer' };
const TOPIC_ID = randomBytes(16).toString('base64url');
const STATE_KEYS = [83, 84, 85, 86, 87];

async function withWire<T>(config: Record<string, string>, fn: (w: WireClient) => Promise<T>): Promise<T> {
  const b = await Broker.start({ port: 0, config });
  const w = await WireClient.connect(b.port);
  try {
    return await fn(w);
  } finally {
    w.socket.destroy();
    await b.stop();
  }
}

/** One partition (0) of the test topic in a request of any of keys 83–87. */
const body = (partition: object) => ({ groupId: 'g', topics: [{ topicId: TOPIC_ID, partitions: [{ partition: 0, ...partition }] }] });
const PARTITION_FIELDS: Record<number, object> = {
  83: { stateEpoch: 0, startOffset: 0 },
  84: { leaderEpoch: 0 },
  85: { stateEpoch: 0, leaderEpoch: 0, startOffset: 0, stateBatches: [] },
  86: {},
  87: { leaderEpoch: 0 },
};
const only = (r: { results: Array<{ partitions: Array<Record<string, unknown>> }> }) => r.results[0]!.partitions[0]!;

test('keys 83–87 from a principal without ClusterAction: CLUSTER_AUTHORIZATION_FAILED on every partition; not listed by ApiVersions', async () => {
  await withWire(AUTHORIZER, async (w) => {
    for (const key of STATE_KEYS) {
      const r = await w.request(key, 0, body(PARTITION_FIELDS[key]!));
      assert.equal(only(r).errorCode, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `api key ${key}`);
    }
    const versions = await w.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' });
    const listed = versions.apiKeys.map((k: { apiKey: number }) => k.apiKey);
    assert.deepEqual(STATE_KEYS.filter((k) => listed.includes(k)), [], 'unstable APIs are not advertised by default');
    assert.ok(listed.includes(78), 'ShareFetch is');
  });
});

test('keys 83–87 for a super user: write, read, summary, leader and state epoch fencing, initialize, delete; listed with unstable.api.versions.enable', async () => {
  await withWire({ ...AUTHORIZER, 'super.users': 'User:ANONYMOUS', 'unstable.api.versions.enable': 'true' }, async (w) => {
    const listed = (await w.request(18, 3, { clientSoftwareName: 'test', clientSoftwareVersion: '1' })).apiKeys.map((k: { apiKey: number }) => k.apiKey);
    assert.deepEqual(STATE_KEYS.filter((k) => listed.includes(k)), STATE_KEYS);
    // Nothing stored: Kafka's uninitialized share-partition.
    assert.deepEqual(only(await w.request(84, 0, body({ leaderEpoch: 0 }))), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 0, startOffset: -1, stateBatches: [] });
    const batches = [{ firstOffset: 5, lastOffset: 7, deliveryState: 2, deliveryCount: 1 }, { firstOffset: 8, lastOffset: 9, deliveryState: 0, deliveryCount: 2 }];
    assert.equal(only(await w.request(85, 0, body({ stateEpoch: 0, leaderEpoch: 3, startOffset: 5, stateBatches: batches }))).errorCode, 0);
    assert.deepEqual(only(await w.request(84, 0, body({ leaderEpoch: 3 }))), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 0, startOffset: 5, stateBatches: batches });
    assert.equal(only(await w.request(84, 0, body({ leaderEpoch: 2 }))).errorCode, ErrorCode.FENCED_LEADER_EPOCH, 'a read by an older leader');
    assert.equal(only(await w.request(85, 0, body({ stateEpoch: 0, leaderEpoch: 2, startOffset: 6, stateBatches: [] }))).errorCode, ErrorCode.FENCED_LEADER_EPOCH, 'a write by an older leader');
    // A new leader's read claims the state with its epoch: the leader before it can no longer write.
    assert.equal(only(await w.request(84, 0, body({ leaderEpoch: 4 }))).errorCode, 0);
    assert.equal(only(await w.request(85, 0, body({ stateEpoch: 0, leaderEpoch: 3, startOffset: 6, stateBatches: [] }))).errorCode, ErrorCode.FENCED_LEADER_EPOCH, 'a write by the leader before the read');
    assert.equal(only(await w.request(87, 0, body({ leaderEpoch: 9 }))).errorCode, 0, 'a summary claims nothing');
    assert.equal(only(await w.request(85, 0, body({ stateEpoch: 0, leaderEpoch: 4, startOffset: 5, stateBatches: batches }))).errorCode, 0);
    assert.equal(only(await w.request(83, 0, body({ stateEpoch: 1, startOffset: 0 }))).errorCode, 0);
    assert.deepEqual(only(await w.request(87, 0, body({ leaderEpoch: -1 }))), { partition: 0, errorCode: 0, errorMessage: null, stateEpoch: 1, startOffset: 0 });
    assert.equal(only(await w.request(85, 0, body({ stateEpoch: 0, leaderEpoch: 4, startOffset: 9, stateBatches: [] }))).errorCode, ErrorCode.FENCED_STATE_EPOCH, 'a write under the state epoch before the initialization');
    assert.equal(only(await w.request(83, 0, body({ stateEpoch: 0, startOffset: 3 }))).errorCode, ErrorCode.FENCED_STATE_EPOCH, 'an initialization under an older state epoch');
    assert.equal(only(await w.request(86, 0, body({}))).errorCode, 0);
    assert.equal(only(await w.request(87, 0, body({ leaderEpoch: -1 }))).startOffset, -1, 'deleted');
  });
});
