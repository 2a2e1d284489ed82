/**
 * Kafka Streams' TopologyTestDriver in TypeScript: one task runs the whole topology, input
 * topics have one partition, every piped record is processed through the topology before
 * `pipeInput` returns, stream time follows the records' timestamps, and the wall clock moves
 * only through `advanceWallClockTime`. Records written to a topic the topology also reads are
 * fed back in, as Kafka's driver does for repartition topics.
 */
import type { Clock } from '../platform/clock.js';
import type { Deserializer, Header, Serializer } from './serdes.js';
import type { KeyValue } from './processor.js';
import { StreamTask, type ConsumedRecord, type ProducedRecord, type RecordCollector, type StreamsConfig } from './task.js';
import type { Topology } from './topology.js';

/** Kafka's `TestRecord`; `partition` is the one a sink's partitioner chose, if it chose. */
export interface TestRecord<K, V> {
  readonly key: K | null;
  readonly value: V | null;
  readonly timestamp: number;
  readonly headers: readonly Header[];
  readonly partition?: number;
}

export interface TestDriverOptions extends StreamsConfig {
  /** The wall clock's start; Date.now() if not given, as Kafka's default. */
  initialWallClockTimeMs?: number;
  /** Partition counts of output topics, given to sinks' partitioners (unknown topics: none). */
  outputPartitions?: Record<string, number>;
}

export class NoSuchElementError extends Error {
  override name = 'NoSuchElementError';
}

/** Bounds the feedback loop of a topology that writes to a topic it reads. */
const FEEDBACK_RECORDS_MAX = 1_000_000;

export class TopologyTestDriver {
  private wallClockMs: number;
  private readonly task: StreamTask;
  private readonly outputs = new Map<string, ProducedRecord[]>();
  private readonly nextOffset = new Map<string, number>();
  private readonly feedback: ProducedRecord[] = [];
  private processing = false;

  constructor(private readonly topology: Topology, options: TestDriverOptions = {}) {
    this.wallClockMs = options.initialWallClockTimeMs ?? Date.now();
    const clock: Pick<Clock, 'now'> = { now: () => this.wallClockMs };
    const partitions = options.outputPartitions ?? {};
    const collector: RecordCollector = {
      send: (record) => this.capture(record),
      partitionsFor: (topic) => partitions[topic],
    };
    this.task = new StreamTask(topology, collector, clock, options);
  }

  createInputTopic<K, V>(name: string, keySerializer: Serializer<K>, valueSerializer: Serializer<V>, options: { startTimestampMs?: number; autoAdvanceMs?: number } = {}): TestInputTopic<K, V> {
    if (this.topology.sourceFor(name) === undefined) throw new Error(`Unknown topic: ${name}`);
    return new TestInputTopic(name, keySerializer, valueSerializer, options.startTimestampMs ?? this.wallClockMs, options.autoAdvanceMs ?? 0, (r) => this.pipe(r));
  }

  createOutputTopic<K, V>(name: string, keyDeserializer: Deserializer<K>, valueDeserializer: Deserializer<V>): TestOutputTopic<K, V> {
    return new TestOutputTopic(name, keyDeserializer, valueDeserializer, this.queueOf(name));
  }

  /** Moves the wall clock and fires the wall-clock punctuations now due. */
  advanceWallClockTime(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`advanceWallClockTime needs a duration of 0 ms or more, not ${ms}`);
    this.wallClockMs += ms;
    this.run(() => this.task.maybePunctuateSystemTime());
  }

  /** Topics the topology has written to so far. */
  producedTopicNames(): Set<string> {
    return new Set(this.produced);
  }

  close(): void {
    this.task.close();
  }

  private readonly produced = new Set<string>();

  private queueOf(topic: string): ProducedRecord[] {
    let q = this.outputs.get(topic);
    if (q === undefined) {
      q = [];
      this.outputs.set(topic, q);
    }
    return q;
  }

  private capture(record: ProducedRecord): void {
    const q = this.queueOf(record.topic);
    q.push(record);
    this.produced.add(record.topic);
    if (this.topology.sourceFor(record.topic) !== undefined) this.feedback.push(record);
  }

  private pipe(record: Omit<ConsumedRecord, 'offset' | 'partition'>): void {
    this.run(() => this.processInput(record));
  }

  private processInput(record: Omit<ConsumedRecord, 'offset' | 'partition'>): void {
    const offset = this.nextOffset.get(record.topic) ?? 0;
    this.nextOffset.set(record.topic, offset + 1);
    this.task.process({ ...record, partition: 0, offset });
  }

  /** Runs `fn`, then every record it wrote to a topic the topology reads, to completion. */
  private run(fn: () => void): void {
    if (this.processing) throw new Error('the test driver was called from inside a processor');
    this.processing = true;
    try {
      fn();
      for (let n = 0; this.feedback.length > 0; n++) {
        if (n >= FEEDBACK_RECORDS_MAX) throw new Error(`more than ${FEEDBACK_RECORDS_MAX} records fed back: does the topology write to a topic it reads in a loop?`);
        const r = this.feedback.shift()!;
        this.processInput({ topic: r.topic, key: r.key, value: r.value, timestamp: r.timestamp, headers: r.headers });
      }
    } finally {
      this.feedback.length = 0;
      this.processing = false;
    }
  }
}

export class TestInputTopic<K, V> {
  /** @internal Made by `TopologyTestDriver.createInputTopic`. */
  constructor(
    readonly name: string,
    private readonly keySerializer: Serializer<K>,
    private readonly valueSerializer: Serializer<V>,
    private currentTimeMs: number,
    private readonly autoAdvanceMs: number,
    private readonly pipe: (record: Omit<ConsumedRecord, 'offset' | 'partition'>) => void,
  ) {}

  /** Pipes one record; without a timestamp it takes the topic's current time, which then auto-advances. */
  pipeInput(key: K | null, value: V | null, timestampMs?: number, headers: Header[] = []): void {
    let timestamp = timestampMs;
    if (timestamp === undefined) {
      timestamp = this.currentTimeMs;
      this.currentTimeMs += this.autoAdvanceMs;
    }
    const k = this.keySerializer.serialize(this.name, key, headers);
    const v = this.valueSerializer.serialize(this.name, value, headers);
    this.pipe({ topic: this.name, key: k, value: v, timestamp, headers });
  }

  pipeValueList(values: readonly (V | null)[]): void {
    for (const value of values) this.pipeInput(null, value);
  }

  pipeKeyValueList(pairs: readonly KeyValue<K | null, V | null>[], startTimestampMs?: number, advanceMs = 0): void {
    let ts = startTimestampMs;
    for (const { key, value } of pairs) {
      this.pipeInput(key, value, ts);
      if (ts !== undefined) ts += advanceMs;
    }
  }

  advanceTime(ms: number): void {
    this.currentTimeMs += ms;
  }
}

export class TestOutputTopic<K, V> {
  /** @internal Made by `TopologyTestDriver.createOutputTopic`. */
  constructor(
    readonly name: string,
    private readonly keyDeserializer: Deserializer<K>,
    private readonly valueDeserializer: Deserializer<V>,
    private readonly queue: ProducedRecord[],
  ) {}

  readRecord(): TestRecord<K, V> {
    const r = this.queue.shift();
    if (r === undefined) throw new NoSuchElementError(`Empty topic: ${this.name}`);
    const headers = [...r.headers];
    const record = {
      key: this.keyDeserializer.deserialize(this.name, r.key, headers),
      value: this.valueDeserializer.deserialize(this.name, r.value, headers),
      timestamp: r.timestamp,
      headers: r.headers,
    };
    return r.partition === undefined ? record : { ...record, partition: r.partition };
  }

  readKeyValue(): KeyValue<K | null, V | null> {
    const { key, value } = this.readRecord();
    return { key, value };
  }

  readValue(): V | null {
    return this.readRecord().value;
  }

  readRecordsToList(): TestRecord<K, V>[] {
    const out: TestRecord<K, V>[] = [];
    while (!this.isEmpty()) out.push(this.readRecord());
    return out;
  }

  readKeyValuesToList(): KeyValue<K | null, V | null>[] {
    return this.readRecordsToList().map(({ key, value }) => ({ key, value }));
  }

  readValuesToList(): (V | null)[] {
    return this.readRecordsToList().map((r) => r.value);
  }

  /** Records written and not read yet. */
  getQueueSize(): number {
    return this.queue.length;
  }

  isEmpty(): boolean {
    return this.queue.length === 0;
  }
}
