/**
 * DescribeGroups v6 (KIP-1043), as Kafka 4 answers it: a KIP-848 consumer group is
 * GROUP_ID_NOT_FOUND "Group g is not a classic group.", a missing group GROUP_ID_NOT_FOUND
 * "Group g not found.", both Dead; a classic group is described as before. Below v6 the first two
 * are Dead with no error. The v6 bytes are built and read here by hand, apart from Samsa's codec;
 * KafkaJS (DescribeGroups v2) still describes both kinds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import type { Socket } from 'node:net';
import { createClient } from '../../src/client/index.js';
import { rawSocket, readFrame, withBroker } from '../helpers/broker.js';

const GROUP_ID_NOT_FOUND = 69;

/** Request header v2 + DescribeGroups v6 body: compact array of compact strings, a bool, tags. */
function describeGroupsV6(correlationId: number, groups: string[]): Buffer {
  const clientId = Buffer.from('v6-test');
  const head = Buffer.alloc(10);
  head.writeInt16BE(15, 0);
  head.writeInt16BE(6, 2);
  head.writeInt32BE(correlationId, 4);
  head.writeInt16BE(clientId.length, 8);
  const parts: Buffer[] = [head, clientId, Buffer.from([0]), Buffer.from([groups.length + 1])];
  for (const g of groups) parts.push(Buffer.from([Buffer.byteLength(g) + 1]), Buffer.from(g));
  parts.push(Buffer.from([0, 0])); // includeAuthorizedOperations false, no tags
  const body = Buffer.concat(parts);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

/** A tiny reader for the response: uvarints here are all below 128 (one byte). */
class Bytes {
  private at = 0;
  constructor(private readonly b: Buffer) {}
  int16 = () => ((this.at += 2), this.b.readInt16BE(this.at - 2));
  int32 = () => ((this.at += 4), this.b.readInt32BE(this.at - 4));
  uvarint = () => {
    const v = this.b[this.at++]!;
    assert.ok(v < 128, 'one-byte varint');
    return v;
  };
  compactString = (): string | null => {
    const n = this.uvarint();
    if (n === 0) return null;
    this.at += n - 1;
    return this.b.subarray(this.at - n + 1, this.at).toString();
  };
}

async function describeV6(s: Socket, groups: string[]) {
  s.write(describeGroupsV6(7, groups));
  const r = new Bytes(await readFrame(s));
  assert.equal(r.int32(), 7, 'correlation id');
  assert.equal(r.uvarint(), 0, 'response header v1 tags');
  r.int32(); // throttle
  const out = [];
  for (let n = r.uvarint() - 1; n > 0; n--) {
    const g = { errorCode: r.int16(), errorMessage: r.compactString(), groupId: r.compactString(), groupState: r.compactString(), protocolType: r.compactString(), protocolData: r.compactString(), members: r.uvarint() - 1 };
    assert.equal(g.members, 0, 'no member bytes to skip in this test');
    r.int32(); // authorized operations
    assert.equal(r.uvarint(), 0, 'group tags');
    out.push(g);
  }
  return out;
}

/** The [min, max] ApiVersions v0 advertises for `apiKey`. */
async function advertised(s: Socket, apiKey: number): Promise<[number, number]> {
  const req = Buffer.alloc(14);
  req.writeInt32BE(10, 0);
  req.writeInt16BE(18, 4);
  req.writeInt16BE(0, 6);
  req.writeInt32BE(8, 8);
  req.writeInt16BE(0, 12);
  s.write(req);
  const b = await readFrame(s);
  assert.equal(b.readInt16BE(4), 0);
  for (let i = 0, at = 10; i < b.readInt32BE(6); i++, at += 6) if (b.readInt16BE(at) === apiKey) return [b.readInt16BE(at + 2), b.readInt16BE(at + 4)];
  throw new Error(`api key ${apiKey} not advertised`);
}

test('DescribeGroups v6: GROUP_ID_NOT_FOUND with Kafka 4’s sentence for a consumer-protocol group and a missing one; v5 and KafkaJS still see Dead', { timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: 'v6-topic', numPartitions: 2, replicationFactor: 1, configs: {} });
    const kafka = createClient({ bootstrapServers: broker.bootstrap, retryBackoffMs: 20 });
    const admin = kafka.admin();
    const c = kafka.consumer({ groupId: 'v6-consumer', groupProtocol: 'consumer', autoCommit: false });
    const s = await rawSocket(broker);
    try {
      c.subscribe(['v6-topic']);
      const until = Date.now() + 30_000;
      while (Date.now() < until && c.assignment().length < 2) await c.poll({ timeoutMs: 200 });
      await admin.commitOffsets('v6-classic', [{ topic: 'v6-topic', partition: 0, offset: 1 }]);

      const [consumerGroup, missing, classic] = await describeV6(s, ['v6-consumer', 'v6-missing', 'v6-classic']);
      assert.deepEqual(consumerGroup, { errorCode: GROUP_ID_NOT_FOUND, errorMessage: 'Group v6-consumer is not a classic group.', groupId: 'v6-consumer', groupState: 'Dead', protocolType: '', protocolData: '', members: 0 });
      assert.deepEqual(missing, { errorCode: GROUP_ID_NOT_FOUND, errorMessage: 'Group v6-missing not found.', groupId: 'v6-missing', groupState: 'Dead', protocolType: '', protocolData: '', members: 0 });
      assert.deepEqual(classic, { errorCode: 0, errorMessage: null, groupId: 'v6-classic', groupState: 'Empty', protocolType: '', protocolData: '', members: 0 });

      assert.deepEqual(await advertised(s, 15), [0, 6]);
      // Samsa's admin (v6) still finds the consumer group through ConsumerGroupDescribe.
      const [described] = await admin.describeGroups(['v6-consumer']);
      assert.equal(described!.state, 'Stable');
      assert.ok(described!.groupEpoch! > 0);
      const [gone] = await admin.describeGroups(['v6-missing']);
      assert.equal(gone!.state, 'Dead');

      // KafkaJS asks DescribeGroups v2: Dead with no error for the consumer group, the classic group as it is.
      const kjs = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING }).admin();
      await kjs.connect();
      try {
        const { groups } = await kjs.describeGroups(['v6-consumer', 'v6-classic']);
        // KafkaJS's types leave out the errorCode its describeGroups passes through.
        const by = new Map(groups.map((g) => [g.groupId, g as typeof g & { errorCode: number }]));
        assert.deepEqual([by.get('v6-consumer')!.errorCode, by.get('v6-consumer')!.state], [0, 'Dead']);
        assert.deepEqual([by.get('v6-classic')!.errorCode, by.get('v6-classic')!.state], [0, 'Empty']);
      } finally {
        await kjs.disconnect();
      }
    } finally {
      s.destroy();
      await c.close();
      await admin.close();
      await kafka.close();
    }
  }, { config: { 'group.initial.rebalance.delay.ms': '0' } });
});
