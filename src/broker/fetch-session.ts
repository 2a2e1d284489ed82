/**
 * Incremental fetch sessions (KIP-227), as Kafka's FetchSession.scala serves them.
 *
 * A fetch with session epoch 0 (INITIAL_EPOCH) is a full fetch that asks for a session: the
 * broker keeps its partitions and their fetch positions and answers with a new session id. The
 * client then sends epochs 1, 2, … (after 2³¹−1 comes 1) naming only the partitions whose position
 * changed, new ones, and those to forget; the broker fetches the whole session and answers only
 * the partitions with something to say (Kafka's rule, `mustRespond` below). Epoch −1
 * (FINAL_EPOCH) closes the session named and fetches without one (sessionless, as every fetch
 * before v7). A session id the broker does not hold: FETCH_SESSION_ID_NOT_FOUND; an epoch other
 * than the session's next: INVALID_FETCH_SESSION_EPOCH; a session made with topic ids (v13+) used
 * by a request without them, or the reverse: FETCH_SESSION_TOPIC_ID_ERROR. Each is answered with
 * session id 0 and no partitions, after which the client starts over with a full fetch.
 *
 * The cache holds at most `max.incremental.fetch.session.cache.slots` sessions. When it is full,
 * a new session takes the slot of one unused for longer than FETCH_SESSION_EVICTION_MS, else of
 * the least valuable evictable session: followers' (privileged) sessions are worth more than
 * consumers', then bigger sessions more than smaller; a session younger than
 * FETCH_SESSION_EVICTION_MS can only be evicted by a privileged one and only if it is not itself
 * privileged. Failing that, the fetch is answered without a session (session id 0).
 *
 * One cache per broker; all of it changes in one synchronous turn (no locks needed).
 */
import { ErrorCode } from '../protocol/errors.js';
import type { FetchRequestFetchPartition, FetchRequestFetchTopic, FetchRequestForgottenTopic, FetchResponseFetchableTopicResponse, FetchResponsePartitionData } from '../protocol/messages/01-fetch.js';
import { assert } from '../util/assert.js';

/** Session id 0: no session. */
export const INVALID_SESSION_ID = 0;
/** A full fetch that creates a session. */
export const INITIAL_EPOCH = 0;
/** A fetch without a session (closing the one named, if any). */
export const FINAL_EPOCH = -1;
/** Kafka's default for `max.incremental.fetch.session.cache.slots`. */
export const FETCH_SESSION_CACHE_SLOTS_DEFAULT = 1000;
/**
 * Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS (a constant there too): a session unused for
 * longer may be evicted by any new one; a younger session is safe from all but privileged ones.
 */
export const FETCH_SESSION_EVICTION_MS = 120_000;
const INT32_MAX = 0x7fffffff;

/** The epoch after `prev`, as Kafka's FetchMetadata.nextEpoch: −1 stays −1, 2³¹−1 wraps to 1. */
export function nextEpoch(prev: number): number {
  if (prev < 0) return FINAL_EPOCH;
  if (prev === INT32_MAX) return 1;
  return prev + 1;
}

/** One partition of a session: the fetcher's last request for it and what it was last told. */
export class CachedPartition {
  /** The high watermark last sent (−1 after an error), Kafka's `highWatermark`. */
  highWatermark = -1;
  /** The log start offset last sent, Kafka's `localLogStartOffset`. */
  logStartOffset = -1;

  constructor(
    /** The session's key for it (partitionSessionKey). */
    readonly key: string,
    /** The topic's name in sessions without topic ids ('' in those with them: names are looked up per fetch). */
    readonly topic: string,
    readonly topicId: string,
    public request: FetchRequestFetchPartition,
  ) {}

  /**
   * Kafka's maybeUpdateResponseData: whether an incremental response must carry this partition
   * (records, a new high watermark or log start offset, a preferred read replica, an error, a
   * diverging epoch), remembering what was sent when `update`.
   */
  mustRespond(resp: FetchResponsePartitionData, update: boolean): boolean {
    let must = resp.records !== null && resp.records.length > 0;
    if (this.highWatermark !== resp.highWatermark) {
      must = true;
      if (update) this.highWatermark = resp.highWatermark;
    }
    if (this.logStartOffset !== resp.logStartOffset) {
      must = true;
      if (update) this.logStartOffset = resp.logStartOffset;
    }
    if (resp.preferredReadReplica !== -1) must = true;
    if (resp.errorCode !== ErrorCode.NONE) {
      if (update) this.highWatermark = -1;
      must = true;
    }
    if (resp.divergingEpoch.epoch >= 0) must = true;
    return must;
  }
}

export class FetchSession {
  /** The epoch the next request must carry. */
  epoch = nextEpoch(INITIAL_EPOCH);
  lastUsedMs: number;
  /** The size when last touched (Kafka's cachedSize), which orders eviction. */
  cachedSize = -1;
  evictableByPrivileged = false;
  evictableByAll = false;

  constructor(
    readonly id: number,
    /** A follower's session (Kafka's `privileged`). */
    readonly privileged: boolean,
    /** Made by Fetch v13+ (topics by id). */
    readonly usesTopicIds: boolean,
    readonly creationMs: number,
    /** In fetch order: a partition that returned records moves to the end, so each gets its turn. */
    readonly partitions: Map<string, CachedPartition>,
  ) {
    this.lastUsedMs = creationMs;
  }
}

/** A session's key for a partition: by topic id in sessions with ids, else by name. */
export function partitionSessionKey(usesTopicIds: boolean, topic: string, topicId: string, partition: number): string {
  return `${usesTopicIds ? topicId : topic}:${partition}`;
}

/** How a fetch request uses sessions (Kafka's FetchContext kinds). */
export type FetchContext =
  | { readonly kind: 'sessionless' }
  | { readonly kind: 'full' }
  | { readonly kind: 'error'; readonly errorCode: number }
  | { readonly kind: 'incremental'; readonly session: FetchSession; readonly requestEpoch: number };

const SESSIONLESS: FetchContext = { kind: 'sessionless' };
const FULL: FetchContext = { kind: 'full' };

export interface FetchSessionCacheOptions {
  /** `max.incremental.fetch.session.cache.slots`. */
  maxSessions: number;
  evictionMs?: number;
  /** A random integer in [1, 2³¹−1] (tests pass a seeded one). */
  randomId?: () => number;
}

export interface FetchSessionStats {
  sessions: number;
  /** Partitions held by all sessions (Kafka's NumIncrementalFetchPartitionsCached). */
  partitions: number;
  evictions: number;
  /** Incremental fetches answered, and the partitions they carried (for tests and metrics). */
  incrementalFetches: number;
  incrementalPartitionsSent: number;
}

export class FetchSessionCache {
  /** Ordered by last use (a touch moves a session to the end), so the first is the stalest. */
  private readonly sessions = new Map<number, FetchSession>();
  private readonly maxSessions: number;
  private readonly evictionMs: number;
  private readonly randomId: () => number;
  private numPartitions = 0;
  /** Sessions with each eviction flag set, so a full cache with none evictable is answered without a scan. */
  private numEvictableByPrivileged = 0;
  private numEvictableByAll = 0;
  readonly stats: Omit<FetchSessionStats, 'sessions' | 'partitions'> = { evictions: 0, incrementalFetches: 0, incrementalPartitionsSent: 0 };
  /** Test hook: called after each incremental fetch with the partitions it answered and its session's size. */
  onIncremental: ((sent: number, sessionSize: number) => void) | null = null;

  constructor(opts: FetchSessionCacheOptions) {
    assert(Number.isInteger(opts.maxSessions) && opts.maxSessions >= 0, 'maxSessions must be a non-negative integer');
    this.maxSessions = opts.maxSessions;
    this.evictionMs = opts.evictionMs ?? FETCH_SESSION_EVICTION_MS;
    this.randomId = opts.randomId ?? (() => 1 + Math.floor(Math.random() * INT32_MAX));
  }

  get(id: number): FetchSession | undefined {
    return this.sessions.get(id);
  }

  snapshot(): FetchSessionStats {
    return { sessions: this.sessions.size, partitions: this.numPartitions, ...this.stats };
  }

  /**
   * Kafka's FetchManager.newContext: what this request's session id and epoch mean. An
   * incremental request updates its session here (added, changed and forgotten partitions) and
   * moves its epoch on.
   */
  newContext(
    now: number,
    version: number,
    sessionId: number,
    sessionEpoch: number,
    topics: FetchRequestFetchTopic[],
    forgotten: FetchRequestForgottenTopic[],
  ): FetchContext {
    if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.removeId(sessionId);
      return sessionEpoch === FINAL_EPOCH ? SESSIONLESS : FULL;
    }
    const session = this.sessions.get(sessionId);
    if (session === undefined) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== sessionEpoch) return { kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH };
    const usesTopicIds = version >= 13;
    if (session.usesTopicIds !== usesTopicIds) return { kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR };
    for (const t of topics) {
      const name = usesTopicIds ? '' : t.topic;
      for (const p of t.partitions) {
        const key = partitionSessionKey(usesTopicIds, name, t.topicId, p.partition);
        const cached = session.partitions.get(key);
        if (cached === undefined) session.partitions.set(key, new CachedPartition(key, name, t.topicId, p));
        else cached.request = p;
      }
    }
    for (const t of forgotten) {
      for (const partition of t.partitions) session.partitions.delete(partitionSessionKey(usesTopicIds, t.topic, t.topicId, partition));
    }
    if (session.partitions.size === 0) {
      // Nothing left to fetch: the session ends, and the request is answered as sessionless.
      this.remove(session);
      return SESSIONLESS;
    }
    this.touch(session, now);
    session.epoch = nextEpoch(session.epoch);
    return { kind: 'incremental', session, requestEpoch: sessionEpoch };
  }

  /**
   * Kafka's maybeCreateSession, for a full fetch being answered: the new session's id, or 0 when
   * the cache is full and nothing may be evicted for it.
   */
  maybeCreateSession(now: number, privileged: boolean, size: number, usesTopicIds: boolean, partitions: () => Map<string, CachedPartition>): number {
    if (this.sessions.size >= this.maxSessions && !this.tryEvict(privileged, size, now)) return INVALID_SESSION_ID;
    const session = new FetchSession(this.newSessionId(), privileged, usesTopicIds, now, partitions());
    this.sessions.set(session.id, session);
    this.touch(session, now);
    return session.id;
  }

  private newSessionId(): number {
    for (;;) {
      const id = this.randomId();
      assert(Number.isInteger(id) && id >= 1 && id <= INT32_MAX, 'a session id is in [1, 2^31-1]');
      if (!this.sessions.has(id)) return id;
    }
  }

  /** Kafka's tryEvict: makes room for a session of `size` partitions if the rules allow it. */
  private tryEvict(privileged: boolean, size: number, now: number): boolean {
    const stalest = this.sessions.values().next().value as FetchSession | undefined;
    if (stalest === undefined) return false;
    if (now - stalest.lastUsedMs > this.evictionMs) {
      this.remove(stalest);
      this.stats.evictions++;
      return true;
    }
    if ((privileged ? this.numEvictableByPrivileged : this.numEvictableByAll) === 0) return false;
    // The least valuable session this one may evict: (privileged, size, id) smallest first.
    let victim: FetchSession | null = null;
    for (const s of this.sessions.values()) {
      if (!(privileged ? s.evictableByPrivileged : s.evictableByAll)) continue;
      if (victim === null || compareEvictable(s.privileged, s.cachedSize, s.id, victim) < 0) victim = s;
    }
    if (victim === null || compareEvictable(privileged, size, 0, victim) < 0) return false;
    this.remove(victim);
    this.stats.evictions++;
    return true;
  }

  private removeId(id: number): void {
    const session = this.sessions.get(id);
    if (session !== undefined) this.remove(session);
  }

  remove(session: FetchSession): void {
    if (!this.sessions.delete(session.id)) return;
    if (session.cachedSize > 0) this.numPartitions -= session.cachedSize;
    this.setEvictable(session, false, false);
  }

  private setEvictable(session: FetchSession, byPrivileged: boolean, byAll: boolean): void {
    this.numEvictableByPrivileged += Number(byPrivileged) - Number(session.evictableByPrivileged);
    this.numEvictableByAll += Number(byAll) - Number(session.evictableByAll);
    session.evictableByPrivileged = byPrivileged;
    session.evictableByAll = byAll;
  }

  /** Kafka's touch: marks the session used now and re-files it for eviction. */
  private touch(session: FetchSession, now: number): void {
    this.sessions.delete(session.id);
    session.lastUsedMs = now;
    this.sessions.set(session.id, session);
    if (session.cachedSize > 0) this.numPartitions -= session.cachedSize;
    session.cachedSize = session.partitions.size;
    this.numPartitions += session.cachedSize;
    const old = now - session.creationMs > this.evictionMs;
    this.setEvictable(session, !session.privileged || old, old);
  }
}

/**
 * An incremental fetch's topics: the session's partitions in its order, with the positions last
 * sent, consecutive partitions of a topic under one entry; `order` is the cached partition of each.
 */
export function sessionFetchTopics(session: FetchSession): { topics: FetchRequestFetchTopic[]; order: readonly CachedPartition[] } {
  const topics: FetchRequestFetchTopic[] = [];
  const order: CachedPartition[] = [];
  let last: FetchRequestFetchTopic | null = null;
  for (const c of session.partitions.values()) {
    if (last === null || last.topicId !== c.topicId || last.topic !== c.topic) {
      last = { topic: c.topic, topicId: c.topicId, partitions: [] };
      topics.push(last);
    }
    last.partitions.push(c.request);
    order.push(c);
  }
  return { topics, order };
}

/** The partitions of a new session: a full fetch's request and what it was answered. */
export function newSessionPartitions(usesTopicIds: boolean, topics: FetchRequestFetchTopic[], responses: FetchResponseFetchableTopicResponse[]): Map<string, CachedPartition> {
  const partitions = new Map<string, CachedPartition>();
  topics.forEach((t, ti) => {
    const name = usesTopicIds ? '' : t.topic;
    const answered = responses[ti]!.partitions;
    t.partitions.forEach((p, pi) => {
      const key = partitionSessionKey(usesTopicIds, name, t.topicId, p.partition);
      const cached = new CachedPartition(key, name, t.topicId, p);
      cached.mustRespond(answered[pi]!, true);
      // A partition named twice keeps its first place and its last request, as Kafka's map does.
      partitions.set(key, cached);
    });
  });
  return partitions;
}

/**
 * Kafka's IncrementalFetchContext.updateAndGenerateResponseData: keeps the partitions that must be
 * answered (remembering what they were told) and moves those that returned records to the end of
 * the session, so the next fetch reads the others first.
 */
export function incrementalResponses(
  session: FetchSession,
  order: readonly CachedPartition[],
  responses: FetchResponseFetchableTopicResponse[],
): FetchResponseFetchableTopicResponse[] {
  const kept: FetchResponseFetchableTopicResponse[] = [];
  let i = 0;
  for (const t of responses) {
    const partitions: FetchResponsePartitionData[] = [];
    for (const p of t.partitions) {
      const cached = order[i++]!;
      if (!cached.mustRespond(p, true)) continue;
      partitions.push(p);
      if (p.records !== null && p.records.length > 0 && session.partitions.delete(cached.key)) session.partitions.set(cached.key, cached);
    }
    if (partitions.length > 0) kept.push({ topic: t.topic, topicId: t.topicId, partitions });
  }
  assert(i === order.length, 'an incremental response answers each partition of its session once');
  return kept;
}

/** Kafka's EvictableKey order: unprivileged before privileged, then smaller before bigger, then by id. */
function compareEvictable(privileged: boolean, size: number, id: number, other: FetchSession): number {
  if (privileged !== other.privileged) return privileged ? 1 : -1;
  if (size !== other.cachedSize) return size - other.cachedSize;
  return id - other.id;
}
