/**
 * The share coordinator in a cluster over an in-memory `__share_group_state`: it serves a key only
 * while it leads the key's partition (NOT_COORDINATOR before an election and after a resignation),
 * COORDINATOR_LOAD_IN_PROGRESS while the partition replays, and a coordinator elected after
 * another replays what that one wrote.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../src/util/logger.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { ShareCoordinator } from '../../../src/coordinator/share/coordinator.js';
import { shareConfig } from '../../../src/coordinator/share/config.js';
import { shareKeyText, type SharePartitionKey } from '../../../src/coordinator/share/records.js';
import { groupPartition } from '../../../src/coordinator/group/records.js';
import { StorageError } from '../../../src/storage/errors.js';
import { MemoryOffsetsTopic } from './helpers.js';

const PARTITIONS = 3;
const KEY: SharePartitionKey = { groupId: 'g', topicId: 'AAAAAAAAAAAAAAAAAAAAAQ', partition: 0 };
const STATE = { startOffset: 10, stateEpoch: 0, stateBatches: [{ firstOffset: 10, lastOffset: 12, deliveryState: 2, deliveryCount: 1 }] };

const coordinatorOver = (log: MemoryOffsetsTopic) =>
  new ShareCoordinator({ log, config: shareConfig({ 'share.coordinator.state.topic.num.partitions': String(PARTITIONS) }), logger: silentLogger, now: () => 1000, followsLeadership: true });

test('a share coordinator serves a key only while it leads its partition, loads it first, and a successor replays what it wrote', async () => {
  const log = new MemoryOffsetsTopic(PARTITIONS);
  const p = groupPartition(shareKeyText(KEY), PARTITIONS);
  const first = coordinatorOver(log);
  assert.equal(await first.write(KEY, STATE, 0), ErrorCode.NOT_COORDINATOR, 'not elected');
  first.onElection((p + 1) % PARTITIONS, 0);
  await first.loaded();
  assert.equal((await first.read(KEY, 0)).errorCode, ErrorCode.NOT_COORDINATOR, 'another partition elected');

  first.onElection(p, 0);
  await first.loaded();
  assert.equal(await first.write(KEY, STATE, 3), 0);
  assert.ok(log.batches![p]!.length > 0, 'the state is in its partition of the log');
  first.onResignation(p);
  assert.equal((await first.read(KEY, -1)).errorCode, ErrorCode.NOT_COORDINATOR, 'resigned');

  // The next leader of the partition replays it: LOAD_IN_PROGRESS until its reads are done.
  const next = coordinatorOver(log);
  let open!: () => void;
  log.readGate = new Promise((r) => (open = r));
  next.onElection(p, 1);
  await new Promise((r) => setImmediate(r));
  assert.equal((await next.read(KEY, -1)).errorCode, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  open();
  await next.loaded();
  const r = await next.read(KEY, -1);
  assert.equal(r.errorCode, 0);
  assert.deepEqual({ startOffset: r.state!.startOffset, stateEpoch: r.state!.stateEpoch, stateBatches: r.state!.stateBatches, leaderEpoch: r.state!.leaderEpoch }, { ...STATE, leaderEpoch: 3 });
  assert.equal(await next.write(KEY, STATE, 2), ErrorCode.FENCED_LEADER_EPOCH, 'a write of an older partition leader');
});

test("a write the log refuses (the ISR too small, leadership lost) is answered with the log's error, not thrown", async () => {
  const log = new MemoryOffsetsTopic(PARTITIONS);
  const p = groupPartition(shareKeyText(KEY), PARTITIONS);
  const c = coordinatorOver(log);
  c.onElection(p, 0);
  await c.loaded();
  const refusing = async () => {
    throw new StorageError(ErrorCode.NOT_ENOUGH_REPLICAS, 'the ISR is too small');
  };
  log.append = refusing;
  assert.equal(await c.write(KEY, STATE, 0), ErrorCode.NOT_ENOUGH_REPLICAS);
  log.append = async () => {
    throw new StorageError(ErrorCode.NOT_LEADER_OR_FOLLOWER, 'no longer the leader');
  };
  assert.equal(await c.delete(KEY), ErrorCode.NOT_COORDINATOR);
});
