// The fetch session cache on its own (Kafka's FetchSessionTest cases that need no broker):
// epochs and their wrap-around, session errors, forgotten partitions, eviction rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { CachedPartition, FetchSessionCache, FETCH_SESSION_EVICTION_MS, nextEpoch } from '../../../src/broker/fetch-session.js';
import type { FetchRequestFetchTopic } from '../../../src/protocol/messages/01-fetch.js';

function topic(name: string, partitions: number[], fetchOffset = 0): FetchRequestFetchTopic {
  return {
    topic: name, topicId: `id-${name}`,
    partitions: partitions.map((partition) => ({ partition, currentLeaderEpoch: -1, fetchOffset, lastFetchedEpoch: -1, logStartOffset: -1, partitionMaxBytes: 1024, replicaDirectoryId: '' })),
  };
}

/** A session of `size` partitions of topic t, as a full fetch at v12 would make it. */
function create(cache: FetchSessionCache, now: number, privileged: boolean, size: number): number {
  return cache.maybeCreateSession(now, privileged, size, false, () => {
    const m = new Map<string, CachedPartition>();
    for (const p of topic('t', [...Array(size).keys()]).partitions) m.set(`t:${p.partition}`, new CachedPartition(`t:${p.partition}`, 't', 'id-t', p));
    return m;
  });
}

test('epochs: 0 and -1 are full, the next after 2^31-1 is 1, after -1 stays -1', () => {
  assert.equal(nextEpoch(0), 1);
  assert.equal(nextEpoch(41), 42);
  assert.equal(nextEpoch(0x7fffffff), 1);
  assert.equal(nextEpoch(-1), -1);
});

test('a session answers its epochs in order; a wrong epoch, an unknown id or a topic-id mismatch is an error; -1 closes it', () => {
  const cache = new FetchSessionCache({ maxSessions: 10 });
  const id = create(cache, 0, false, 3);
  assert.notEqual(id, 0);
  assert.deepEqual(cache.newContext(1, 12, id, 2, [], []), { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
  assert.deepEqual(cache.newContext(1, 12, id + 1, 1, [], []), { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
  assert.deepEqual(cache.newContext(1, 13, id, 1, [], []), { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR });
  const first = cache.newContext(1, 12, id, 1, [topic('t', [5], 7)], []);
  assert.equal(first.kind, 'incremental');
  const session = cache.get(id)!;
  assert.equal(session.epoch, 2);
  assert.deepEqual([...session.partitions.keys()], ['t:0', 't:1', 't:2', 't:5'], 'an added partition goes to the end');
  assert.equal(cache.newContext(2, 12, id, 2, [topic('t', [1], 9)], [{ topic: 't', topicId: 'id-t', partitions: [0, 2] }]).kind, 'incremental');
  assert.deepEqual([...session.partitions.values()].map((c) => [c.key, c.request.fetchOffset]), [['t:1', 9], ['t:5', 7]]);
  assert.equal(cache.snapshot().partitions, 2);
  // Forgetting the last partitions ends the session: the request is sessionless.
  assert.deepEqual(cache.newContext(3, 12, id, 3, [], [{ topic: 't', topicId: 'id-t', partitions: [1, 5] }]), { kind: 'sessionless' });
  assert.equal(cache.get(id), undefined);
  const again = create(cache, 4, false, 1);
  assert.deepEqual(cache.newContext(5, 12, again, -1, [], []), { kind: 'sessionless' });
  assert.equal(cache.get(again), undefined, 'epoch -1 closes the session it names');
  const third = create(cache, 6, false, 1);
  assert.deepEqual(cache.newContext(7, 12, third, 0, [], []), { kind: 'full' });
  assert.equal(cache.get(third), undefined, 'a full fetch naming a session closes it');
});

test('the epoch wraps from 2^31-1 to 1', () => {
  const cache = new FetchSessionCache({ maxSessions: 1 });
  const id = create(cache, 0, false, 1);
  cache.get(id)!.epoch = 0x7fffffff;
  assert.equal(cache.newContext(1, 12, id, 0x7fffffff, [], []).kind, 'incremental');
  assert.equal(cache.get(id)!.epoch, 1);
});

test('session ids are random, non-zero and unique', () => {
  const ids = [5, 5, 0x7fffffff, 7];
  const cache = new FetchSessionCache({ maxSessions: 10, randomId: () => ids.shift()! });
  assert.equal(create(cache, 0, false, 1), 5);
  assert.equal(create(cache, 0, false, 1), 0x7fffffff, 'an id in use is drawn again');
  assert.equal(create(cache, 0, false, 1), 7);
});

test('eviction: a full cache makes room only as Kafka does (stale first, then smaller unprivileged, privileged protected while young)', () => {
  const cache = new FetchSessionCache({ maxSessions: 2 });
  const small = create(cache, 0, false, 2);
  const big = create(cache, 0, false, 10);
  // Young sessions are safe from consumers' new sessions, even bigger ones.
  assert.equal(create(cache, 10, false, 100), 0);
  // A privileged (follower) session may evict a young unprivileged one: the smallest.
  const follower = create(cache, 20, true, 1);
  assert.notEqual(follower, 0);
  assert.equal(cache.get(small), undefined);
  assert.ok(cache.get(big) !== undefined);
  assert.equal(cache.snapshot().evictions, 1);
  // Touched after the eviction time since creation, a session becomes evictable by anyone bigger.
  const later = FETCH_SESSION_EVICTION_MS + 100;
  assert.equal(cache.newContext(later, 12, big, 1, [], []).kind, 'incremental');
  assert.equal(cache.newContext(later, 12, follower, 1, [], []).kind, 'incremental');
  assert.equal(create(cache, later + 1, false, 5), 0, 'smaller than every evictable session');
  const bigger = create(cache, later + 1, false, 11);
  assert.notEqual(bigger, 0);
  assert.equal(cache.get(big), undefined, 'the unprivileged session goes before the privileged one');
  assert.ok(cache.get(follower) !== undefined);
  // Unused for longer than the eviction time: the stalest goes, whatever its size or privilege.
  const stale = later + 1 + FETCH_SESSION_EVICTION_MS + 1;
  assert.notEqual(create(cache, stale, false, 1), 0);
  assert.equal(cache.get(follower), undefined);
  assert.equal(cache.snapshot().evictions, 3);
  assert.equal(cache.snapshot().sessions, 2);
});

test('no slots: every fetch is answered without a session', () => {
  const cache = new FetchSessionCache({ maxSessions: 0 });
  assert.equal(create(cache, 0, true, 1), 0);
});
