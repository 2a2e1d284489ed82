/**
 * What the broker counts while it serves, for the metrics: messages and bytes per topic, each
 * request's queue, handling and send times per API, failed logins per listener. Every method
 * is O(1) (a Map lookup, a few additions, a bucket scan) and allocates nothing after a topic's
 * first use: the gauges are read from the broker's state at scrape time instead (collectors.ts).
 */
import { apiName } from '../../protocol/apis.js';
import { BucketHistogram } from '../../util/histogram.js';

export interface TopicCounters {
  messagesIn: number;
  bytesIn: number;
  bytesOut: number;
  /** Kafka's TotalProduceRequestsPerSec and FailedProduceRequestsPerSec: partitions produced to, and those answered with an error. */
  produceRequests: number;
  failedProduceRequests: number;
  /** TotalFetchRequestsPerSec and FailedFetchRequestsPerSec: partitions fetched (consumers and followers), and those answered with an error. */
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

  /** One Produce request's partitions of `topic` (null: a name or id no topic has), `failed` of them answered with an error. */
  produceRequests(topic: string | null, partitions: number, failed: number): void {
    this.countRequests(topic, 'produceRequests', 'failedProduceRequests', partitions, failed);
  }

  /** One Fetch request's partitions of `topic` (null: unknown), `failed` of them answered with an error. */
  fetchRequests(topic: string | null, partitions: number, failed: number): void {
    this.countRequests(topic, 'fetchRequests', 'failedFetchRequests', partitions, failed);
  }

  private countRequests(topic: string | null, all: 'produceRequests' | 'fetchRequests', bad: 'failedProduceRequests' | 'failedFetchRequests', partitions: number, failed: number): void {
    const t = this.known(topic);
    if (t !== null) {
      t[all] += partitions;
      t[bad] += failed;
    }
    this.total[all] += partitions;
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

/** How many of a response's partitions carry an error code. */
export function failedPartitions(partitions: ReadonlyArray<{ errorCode: number }>): number {
  let n = 0;
  for (const p of partitions) if (p.errorCode !== 0) n++;
  return n;
}

/** A Fetch request's replica id (v0–14 in the body, v15+ in replicaState); -1 for anything else. */
export function replicaIdOf(body: unknown): number {
  const b = body as { replicaId?: number; replicaState?: { replicaId?: number } } | null;
  return Math.max(b?.replicaState?.replicaId ?? -1, b?.replicaId ?? -1);
}
