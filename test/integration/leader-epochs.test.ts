/**
 * Leader epochs on the wire: OffsetForLeaderEpoch v4 and Fetch v12 with current_leader_epoch
 * through @platformatic/kafka's own request codecs; where its 1.35 decoders fall short, raw
 * requests encoded from the schemas: its OffsetForLeaderEpoch v4 decoder reads the partition
 * before the error code (Kafka's order is error code, partition), so only answers without an
 * error read right through it, and its Fetch decoder skips tagged fields (diverging epoch).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Connection, Producer, ResponseError, apiVersionsV3, fetchV12, offsetForLeaderEpochV4, stringSerializers } from '@platformatic/kafka';
import { withBroker, rawSocket, readFrame } from '../helpers/broker.js';
import { frame } from '../helpers/broker-process.js';
import { Writer } from '../../src/protocol/writer.js';
import { Reader } from '../../src/protocol/reader.js';
import { encodeRequestHeader } from '../../src/protocol/headers.js';
import { codecFor } from '../../src/protocol/schema.js';
import { API_SCHEMAS } from '../../src/protocol/apis.js';
import type { FetchResponse } from '../../src/protocol/messages/01-fetch.js';
import type { OffsetForLeaderEpochResponse } from '../../src/protocol/messages/23-offset-for-leader-epoch.js';
import type { ListOffsetsResponse } from '../../src/protocol/messages/02-list-offsets.js';
import type { Socket } from 'node:net';
import { ManualClock, type TimerHandle } from '../../src/platform/clock.js';
import { encodeRecordBatch } from '../../src/protocol/records/record-batch.js';
import { waitFor } from '../helpers/wait.js';
import { ErrorCode } from '../../src/protocol/errors.js';

const TOPIC = 'epochs';

/** Sends one request encoded from the schemas and decodes the response. */
async function rawExchange<T>(s: Socket, apiKey: number, version: number, flexible: boolean, body: object): Promise<T> {
  const schemas = API_SCHEMAS.get(apiKey)!;
  const w = new Writer();
  encodeRequestHeader(w, { apiKey, apiVersion: version, correlationId: 9, clientId: 'raw' }, flexible);
  codecFor<object>(schemas.request, version).encode(w, body);
  s.write(frame(w.toBuffer()));
  const r = new Reader(await readFrame(s));
  assert.equal(r.int32(), 9, 'correlation id');
  if (flexible) r.uvarint(); // response header tags
  return codecFor<T>(schemas.response, version).decode(r);
}

/** The per-partition error codes of a response the client refused as an error. */
function partitionErrors(err: unknown): number[] {
  assert.ok(err instanceof ResponseError, `expected a ResponseError, got ${String(err)}`);
  const response = (err as ResponseError & { response: any }).response;
  const parts = response.topics?.[0]?.partitions ?? response.responses?.[0]?.partitions;
  return parts.map((p: { errorCode: number }) => p.errorCode);
}

test('OffsetForLeaderEpoch and Fetch check the leader epoch and place epochs as Kafka does', async () => {
  await withBroker(async (broker) => {
    await broker.topics.create({ name: TOPIC, numPartitions: 1, replicationFactor: -1, configs: {} });
    const producer = new Producer({ clientId: 'epochs', bootstrapBrokers: [broker.bootstrap], serializers: stringSerializers, retries: 20, retryDelay: 100 });
    const conn = new Connection('epochs-raw');
    try {
      await producer.send({ messages: [0, 1, 2].map((i) => ({ topic: TOPIC, partition: 0, value: `e0-${i}` })) });
      // A leader change: epoch 2 starts at the log end; what is produced next carries it.
      const log = broker.topics.replicas.log(TOPIC, 0)!;
      log.maybeAssignEpochStartOffset(2);
      await producer.send({ messages: [3, 4].map((i) => ({ topic: TOPIC, partition: 0, value: `e2-${i}` })) });
      assert.equal(log.logEndOffset, 5);

      await conn.connect('127.0.0.1', broker.port);
      const versions = await apiVersionsV3.api.async(conn, 'epochs', '1');
      const advertised = versions.apiKeys.find((k: { apiKey: number }) => k.apiKey === 23);
      assert.deepEqual([advertised?.minVersion, advertised?.maxVersion], [2, 4], 'OffsetForLeaderEpoch 2–4, as Kafka 4');

      const ask = (currentLeaderEpoch: number, leaderEpoch: number, partitionIndex = 0) =>
        offsetForLeaderEpochV4.api.async(conn, -1, [{ name: TOPIC, partitions: [{ partitionIndex, currentLeaderEpoch, leaderEpoch }] }]);
      const endOf = async (current: number, epoch: number) => {
        const p = (await ask(current, epoch)).topics[0]!.partitions[0]!;
        return [p.leaderEpoch, Number(p.endOffset)];
      };
      assert.deepEqual(await endOf(2, 0), [0, 3], 'epoch 0 ended where epoch 2 began');
      assert.deepEqual(await endOf(2, 1), [0, 3], 'an epoch the log never had: the one before it');
      assert.deepEqual(await endOf(2, 2), [2, 5], 'the current epoch: the log end');
      assert.deepEqual(await endOf(-1, 2), [2, 5], 'no current epoch: not checked');
      assert.deepEqual(await endOf(2, 7), [-1, -1], 'an epoch above the latest: undefined');

      const fetch = (currentLeaderEpoch: number) =>
        fetchV12.api.async(conn, 0, 1, 1 << 20, 0, 0, -1, [{ topicId: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0n, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }], [], '');
      const ok = await fetch(2);
      assert.equal(Number(ok.responses[0]!.partitions[0]!.highWatermark), 5);
      assert.ok(ok.responses[0]!.partitions[0]!.records !== undefined, 'records for the current epoch');
      assert.deepEqual(partitionErrors(await fetch(1).then(() => null, (e) => e)), [ErrorCode.FENCED_LEADER_EPOCH]);
      assert.deepEqual(partitionErrors(await fetch(3).then(() => null, (e) => e)), [ErrorCode.UNKNOWN_LEADER_EPOCH]);
    } finally {
      await conn.close();
      await producer.close();
    }

    // A fetcher that holds epoch 0 up to offset 4 diverged at 3: it is told to truncate there.
    const s = await rawSocket(broker);
    try {
      const epochError = async (version: number, currentLeaderEpoch: number, partition = 0): Promise<number> => {
        const body = { replicaId: -1, topics: [{ topic: TOPIC, partitions: [{ partition, currentLeaderEpoch, leaderEpoch: 0 }] }] };
        return (await rawExchange<OffsetForLeaderEpochResponse>(s, 23, version, version >= 4, body)).topics[0]!.partitions[0]!.errorCode;
      };
      for (const version of [2, 3, 4]) {
        assert.equal(await epochError(version, 1), ErrorCode.FENCED_LEADER_EPOCH, `v${version}: an older current epoch`);
        assert.equal(await epochError(version, 3), ErrorCode.UNKNOWN_LEADER_EPOCH, `v${version}: a newer current epoch`);
        assert.equal(await epochError(version, 2, 9), ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `v${version}: no such partition`);
        assert.equal(await epochError(version, 2), 0);
      }
      const listOffsets = async (currentLeaderEpoch: number, timestamp: number) => {
        const body = { replicaId: -1, isolationLevel: 0, timeoutMs: 5000, topics: [{ name: TOPIC, partitions: [{ partitionIndex: 0, currentLeaderEpoch, timestamp }] }] };
        const p = (await rawExchange<ListOffsetsResponse>(s, 2, 7, true, body)).topics[0]!.partitions[0]!;
        return [p.errorCode, p.offset, p.leaderEpoch];
      };
      assert.deepEqual(await listOffsets(2, -1), [0, 5, 2], 'latest: the log end in epoch 2');
      assert.deepEqual(await listOffsets(2, -2), [0, 0, 0], 'earliest: offset 0 of epoch 0');
      assert.deepEqual(await listOffsets(1, -1), [ErrorCode.FENCED_LEADER_EPOCH, -1, -1]);
      assert.deepEqual(await listOffsets(3, -1), [ErrorCode.UNKNOWN_LEADER_EPOCH, -1, -1]);
      const fetchRaw = (fetchOffset: number, lastFetchedEpoch: number): Promise<FetchResponse> =>
        rawExchange<FetchResponse>(s, 1, 12, true, {
          replicaId: -1, maxWaitMs: 5000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
          topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: 2, fetchOffset, lastFetchedEpoch, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
        });
      const diverged = (await fetchRaw(4, 0)).responses[0]!.partitions[0]!;
      assert.equal(diverged.errorCode, 0);
      assert.deepEqual(diverged.divergingEpoch, { epoch: 0, endOffset: 3 });
      assert.equal(diverged.records?.length ?? 0, 0, 'no records with a diverging epoch');
      // max_wait 5 s and min_bytes 1 at the log end: a diverging fetcher is answered at once,
      // so this returns; a prefix fetcher at the end would wait.
      const beyond = (await fetchRaw(7, 0)).responses[0]!.partitions[0]!;
      assert.deepEqual(beyond.divergingEpoch, { epoch: 0, endOffset: 3 }, 'even past the log end');
      const prefix = (await fetchRaw(3, 0)).responses[0]!.partitions[0]!;
      assert.deepEqual(prefix.divergingEpoch, { epoch: -1, endOffset: -1 }, 'a prefix fetcher reads on');
      assert.ok((prefix.records?.length ?? 0) > 0);
      const unknown = (await fetchRaw(3, 9)).responses[0]!.partitions[0]!;
      assert.equal(unknown.errorCode, ErrorCode.OFFSET_OUT_OF_RANGE, 'an epoch beyond the latest cannot be placed');
    } finally {
      s.destroy();
    }
  });
});

/** A manual clock that tells when a fetch parks (its long-poll timer has a recognisable length). */
class ParkingClock extends ManualClock {
  parked = 0;
  constructor(private readonly waitMs: number) {
    super();
  }

  override setTimeout(fn: () => void, ms: number): TimerHandle {
    // The fetch waits what is left of max_wait_ms: its read took a little (real) time first.
    if (ms <= this.waitMs && ms > this.waitMs - 5000) this.parked++;
    return super.setTimeout(fn, ms);
  }
}

test('a fetch waiting for data wakes when a replica manager moves the high watermark', async () => {
  const waitMs = 54_321;
  const clock = new ParkingClock(waitMs);
  await withBroker(async (broker) => {
    await broker.topics.create({ name: TOPIC, numPartitions: 1, replicationFactor: -1, configs: {} });
    const log = broker.topics.replicas.log(TOPIC, 0)!;
    log.setHighWatermarkFollowsLogEnd(false);
    await broker.topics.replicas.append(log, TOPIC, 0, await encodeRecordBatch([{ key: 'k', value: 'v' }, { key: 'k', value: 'w' }]));
    assert.equal(log.highWatermark, 0, 'written, not yet replicated');
    const s = await rawSocket(broker);
    try {
      let answered: FetchResponse | null = null;
      const pending = rawExchange<FetchResponse>(s, 1, 12, true, {
        replicaId: -1, maxWaitMs: waitMs, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, rackId: '', forgottenTopicsData: [],
        topics: [{ topic: TOPIC, partitions: [{ partition: 0, currentLeaderEpoch: -1, fetchOffset: 0, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1 << 20 }] }],
      }).then((r) => (answered = r));
      // The manual clock never reaches max_wait_ms: only a wake-up can end this fetch.
      await waitFor('the fetch to park', () => clock.parked >= 1);
      assert.equal(answered, null);
      log.updateHighWatermark(2);
      await waitFor('the fetch to be answered', () => answered !== null);
      await pending;
      const p = answered!.responses[0]!.partitions[0]!;
      assert.equal(p.highWatermark, 2);
      assert.ok((p.records?.length ?? 0) > 0, 'the records below the new high watermark');
    } finally {
      s.destroy();
    }
  }, { clock });
});
