/**
 * What the broker counts while it serves, for the metrics: messages and bytes per topic, each
 * request's queue, handling and send times per API, failed logins per listener. Every method
 * is O(1) (a Map lookup, a few additions, a bucket scan) and allocates nothing after a topic's
 * first use: the gauges are read from the broker's state at scrape time instead (collectors.ts).
 */
import { apiName } from '../../protocol/apis.js';
import { ErrorCode } from '../../protocol/errors.js';
import { BucketHistogram } from '../../util/histogram.js';

export interface TopicCounters {
  messagesIn: number;
  bytesIn: number;
  bytesOut: number;
  /**
   * Kafka's TotalProduceRequestsPerSec and FailedProduceRequestsPerSec: partitions that reached the
   * log, and those of them that failed in an unexpected way (see PRODUCE_COUNTS).
   */
  produceRequests: number;
  failedProduceRequests: number;
  /** TotalFetchRequestsPerSec and FailedFetchRequestsPerSec: partitions read (consumers and followers), and the unexpected failures (FETCH_COUNTS). */
  fetchRequests: number;
  failedFetchRequests: number;
}

/** One request's times (performance.now() ms), filled in as it moves through the connection. */
export interface RequestTiming {
  /** -1 until the header is read. */
  apiKey: number;
  /** Kafka's request name for the metrics (Fetch is FetchConsumer or FetchFollower). */
  name: string;
  arrivedMs: number;
  startedMs: number;
  respondedMs: number;
}

/** Kafka's RequestMetrics for one request name. */
export interface RequestTimes {
  readonly name: string;
  requests: number;
  readonly requestQueueTimeMs: BucketHistogram;
  readonly localTimeMs: BucketHistogram;
  readonly responseQueueTimeMs: BucketHistogram;
  readonly totalTimeMs: BucketHistogram;
}

const FETCH_KEY = 1;

function newTopicCounters(): TopicCounters {
  return { messagesIn: 0, bytesIn: 0, bytesOut: 0, produceRequests: 0, failedProduceRequests: 0, fetchRequests: 0, failedFetchRequests: 0 };
}

export class BrokerCounters {
  readonly topics = new Map<string, TopicCounters>();
  readonly total: TopicCounters = newTopicCounters();
  /** By Kafka's request name ('Produce', 'FetchConsumer', 'Metadata', …). */
  readonly requests = new Map<string, RequestTimes>();
  readonly failedAuthentications = new Map<string, number>();
  readonly successfulAuthentications = new Map<string, number>();
  /**
   * Whether a topic exists, asked only before a topic's first counters are made (set once the
   * broker serves): requests for a topic that does not exist count in the total alone, so a client
   * naming random topics cannot add series without end.
   */
  topicExists: (name: string) => boolean = () => false;

  private topic(name: string): TopicCounters {
    let t = this.topics.get(name);
    if (t === undefined) this.topics.set(name, (t = newTopicCounters()));
    return t;
  }

  /** A leader appended `messages` records in `bytes` of batches from a producer (retried duplicates not counted). */
  produced(topic: string, messages: number, bytes: number): void {
    const t = this.topic(topic);
    t.messagesIn += messages;
    t.bytesIn += bytes;
    this.total.messagesIn += messages;
    this.total.bytesIn += bytes;
  }

  /** A consumer's fetch read `bytes` of batches (replication is not counted, as in Kafka's BytesOutPerSec). */
  fetched(topic: string, bytes: number): void {
    this.topic(topic).bytesOut += bytes;
    this.total.bytesOut += bytes;
  }

  /** One Produce request's partitions of `topic` (null: a name or id no topic has), as answered. */
  produceRequests(topic: string | null, partitions: ReadonlyArray<{ errorCode: number }>): void {
    this.countRequests(topic, 'produceRequests', 'failedProduceRequests', partitions, PRODUCE_COUNTS);
  }

  /** One Fetch request's partitions of `topic` (null: unknown), as answered. */
  fetchRequests(topic: string | null, partitions: ReadonlyArray<{ errorCode: number }>): void {
    this.countRequests(topic, 'fetchRequests', 'failedFetchRequests', partitions, FETCH_COUNTS);
  }

  private countRequests(
    topic: string | null, all: 'produceRequests' | 'fetchRequests', bad: 'failedProduceRequests' | 'failedFetchRequests',
    partitions: ReadonlyArray<{ errorCode: number }>, counts: RequestCounting,
  ): void {
    let total = 0;
    let failed = 0;
    for (const p of partitions) {
      if (p.errorCode === 0) total++;
      else if (!counts.beforeLog.has(p.errorCode)) {
        total++;
        if (!counts.expected.has(p.errorCode)) failed++;
      }
    }
    const t = this.known(topic);
    if (t !== null) {
      t[all] += total;
      t[bad] += failed;
    }
    this.total[all] += total;
    this.total[bad] += failed;
  }

  /** A topic's counters, made only for a topic that exists. */
  private known(name: string | null): TopicCounters | null {
    if (name === null) return null;
    const t = this.topics.get(name);
    if (t !== undefined) return t;
    return this.topicExists(name) ? this.topic(name) : null;
  }

  /** A topic is gone: its counters go with it, as Kafka removes a deleted topic's metrics. */
  forgetTopic(topic: string): void {
    this.topics.delete(topic);
  }

  /** A new request's timing, from the moment its frame arrived. */
  timing(arrivedMs: number): RequestTiming {
    return { apiKey: -1, name: '', arrivedMs, startedMs: arrivedMs, respondedMs: arrivedMs };
  }

  /** The header is read and handling begins; `replicaId` tells a follower's Fetch from a consumer's. */
  started(t: RequestTiming, apiKey: number, replicaId: number, nowMs: number): void {
    t.apiKey = apiKey;
    t.name = apiKey === FETCH_KEY ? (replicaId >= 0 ? 'FetchFollower' : 'FetchConsumer') : apiName(apiKey);
    t.startedMs = nowMs;
  }

  /** The response is on its way to the socket (or there is none, for acks=0): the request's times are counted. */
  sent(t: RequestTiming, nowMs: number): void {
    if (t.apiKey < 0) return;
    let r = this.requests.get(t.name);
    if (r === undefined) {
      r = { name: t.name, requests: 0, requestQueueTimeMs: new BucketHistogram(), localTimeMs: new BucketHistogram(), responseQueueTimeMs: new BucketHistogram(), totalTimeMs: new BucketHistogram() };
      this.requests.set(t.name, r);
    }
    r.requests++;
    r.requestQueueTimeMs.observe(t.startedMs - t.arrivedMs);
    r.localTimeMs.observe(t.respondedMs - t.startedMs);
    r.responseQueueTimeMs.observe(nowMs - t.respondedMs);
    r.totalTimeMs.observe(nowMs - t.arrivedMs);
  }

  authentication(listener: string, ok: boolean): void {
    const m = ok ? this.successfulAuthentications : this.failedAuthentications;
    m.set(listener, (m.get(listener) ?? 0) + 1);
  }
}

/** Which answers Kafka leaves out of Total*RequestsPerSec, and which it does not count as failed. */
interface RequestCounting {
  /** Refused before the log is asked (KafkaApis: authorization, a partition the metadata does not have, bad acks): in neither count. */
  beforeLog: ReadonlySet<number>;
  /** The errors ReplicaManager expects and answers without marking Failed*RequestsPerSec. */
  expected: ReadonlySet<number>;
}

const E = ErrorCode;
const REFUSED_BEFORE_LOG = [E.TOPIC_AUTHORIZATION_FAILED, E.UNKNOWN_TOPIC_OR_PARTITION, E.UNKNOWN_TOPIC_ID];

/** appendToLocalLog's first catch, and its refusal of internal topics (counted in the total, not as failed). */
export const PRODUCE_COUNTS: RequestCounting = {
  beforeLog: new Set([...REFUSED_BEFORE_LOG, E.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, E.INVALID_REQUIRED_ACKS, E.UNSUPPORTED_VERSION]),
  expected: new Set([E.NOT_LEADER_OR_FOLLOWER, E.MESSAGE_TOO_LARGE, E.RECORD_LIST_TOO_LARGE, E.CORRUPT_MESSAGE, E.KAFKA_STORAGE_ERROR, E.INVALID_TOPIC_EXCEPTION]),
};

/** readFromLog's first catch and its out-of-range case. */
export const FETCH_COUNTS: RequestCounting = {
  beforeLog: new Set(REFUSED_BEFORE_LOG),
  expected: new Set([E.NOT_LEADER_OR_FOLLOWER, E.UNKNOWN_LEADER_EPOCH, E.FENCED_LEADER_EPOCH, E.REPLICA_NOT_AVAILABLE, E.KAFKA_STORAGE_ERROR, E.INCONSISTENT_TOPIC_ID, E.OFFSET_OUT_OF_RANGE]),
};

/** A Fetch request's replica id (v0–14 in the body, v15+ in replicaState); -1 for anything else. */
export function replicaIdOf(body: unknown): number {
  const b = body as { replicaId?: number; replicaState?: { replicaId?: number } } | null;
  return Math.max(b?.replicaState?.replicaId ?? -1, b?.replicaId ?? -1);
}
