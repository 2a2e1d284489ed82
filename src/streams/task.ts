/**
 * A task runs a topology's nodes for one input partition, as Kafka Streams' StreamTask: it
 * deserializes an input record at its source node, passes it down the processor nodes in one
 * synchronous call, serializes what reaches a sink into a `RecordCollector`, and keeps stream
 * time and the punctuation schedules. The test driver is one user; a runtime over the consumer
 * and producer (tasks per partition, commits, transactions) is to be the other.
 */
import type { Clock } from '../platform/clock.js';
import { assert } from '../util/assert.js';
import type { Deserializer, Header, Serde, Serializer } from './serdes.js';
import {
  supply,
  StreamsException,
  type Cancellable,
  type Processor,
  type ProcessorContext,
  type PunctuationType,
  type Punctuator,
  type RecordMetadata,
  type StreamRecord,
} from './processor.js';
import type { NodeDef, RecordContext, SinkNode, SourceNode, Topology } from './topology.js';

/** A record a sink hands on, already serialized: the producer's (or the test driver's) input. */
export interface ProducedRecord {
  readonly topic: string;
  /** Chosen by the sink's partitioner; undefined leaves it to the producer's default partitioner. */
  readonly partition: number | undefined;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  readonly headers: readonly Header[];
}

/** Where sinks write: the test driver captures; a runtime's collector will send with a producer. */
export interface RecordCollector {
  send(record: ProducedRecord): void;
  /** The topic's partition count, for a sink's partitioner; undefined when unknown. */
  partitionsFor(topic: string): number | undefined;
}

/** An input record as the consumer delivers it: bytes, with where it came from. */
export interface ConsumedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly Header[];
}

export interface StreamsConfig {
  /** Kafka's `application.id`. */
  applicationId?: string;
  /** Kafka's `default.key.serde` / `default.value.serde`: for sources and sinks given none. */
  defaultKeySerde?: Serde<unknown>;
  defaultValueSerde?: Serde<unknown>;
}

interface RunningNode {
  readonly def: NodeDef;
  readonly children: RunningNode[];
  processor: Processor<unknown, unknown, unknown, unknown> | undefined;
}

interface Schedule {
  node: RunningNode;
  dueMs: number;
  readonly intervalMs: number;
  readonly punctuator: Punctuator;
  cancelled: boolean;
}

/** The punctuations of one type, earliest due first (ties in the order scheduled). */
class PunctuationQueue {
  private readonly schedules: Schedule[] = [];

  add(s: Schedule): void {
    let i = this.schedules.length;
    while (i > 0 && this.schedules[i - 1]!.dueMs > s.dueMs) i--;
    this.schedules.splice(i, 0, s);
  }

  /** Kafka's PunctuationQueue.maybePunctuate: each due schedule fires once, then moves past `nowMs`. */
  maybePunctuate(nowMs: number, punctuate: (s: Schedule) => void): boolean {
    let punctuated = false;
    while (this.schedules.length > 0 && this.schedules[0]!.dueMs <= nowMs) {
      const s = this.schedules.shift()!;
      if (s.cancelled) continue;
      punctuate(s);
      punctuated = true;
      if (s.cancelled) continue;
      // Missed intervals are skipped, as Kafka does, so a gap in data does not fire a burst.
      const missed = nowMs >= s.dueMs + s.intervalMs ? Math.floor((nowMs - s.dueMs) / s.intervalMs) : 0;
      s.dueMs += (missed + 1) * s.intervalMs;
      this.add(s);
    }
    return punctuated;
  }
}

export class StreamTask {
  readonly id: string;
  private readonly nodes = new Map<string, RunningNode>();
  private readonly sources = new Map<string, RunningNode>();
  private readonly streamTimePunctuations = new PunctuationQueue();
  private readonly wallClockPunctuations = new PunctuationQueue();
  private streamTimeMs = -1;
  /** The node whose processor is running, and the input record's context, while one is. */
  private current: RunningNode | undefined;
  private recordContext: (RecordContext & { fromInput: boolean }) | undefined;
  private closed = false;

  constructor(
    private readonly topology: Topology,
    private readonly collector: RecordCollector,
    private readonly clock: Pick<Clock, 'now'>,
    private readonly config: StreamsConfig = {},
    options: { id?: string } = {},
  ) {
    this.id = options.id ?? '0_0';
    for (const def of topology.nodes()) {
      const node: RunningNode = { def, children: [], processor: undefined };
      this.nodes.set(def.name, node);
      if (def.kind === 'source') for (const t of def.topics) this.sources.set(t, node);
      else for (const p of def.parents) this.nodes.get(p)!.children.push(node);
    }
    // A missing serde fails here, when the task starts, as Kafka's does at init, not at the first record.
    for (const def of topology.nodes()) {
      if (def.kind === 'source') for (const which of ['key', 'value'] as const) this.deserializer(def, which);
      if (def.kind === 'sink') for (const which of ['key', 'value'] as const) this.serializer(def, which);
    }
    this.initProcessors();
  }

  /** Stream time: the largest record timestamp processed, -1 before any. */
  streamTime(): number {
    return this.streamTimeMs;
  }

  /** Processes one input record through the topology, then fires punctuations stream time made due. */
  process(input: ConsumedRecord): void {
    assert(!this.closed, 'process on a closed task');
    const source = this.sources.get(input.topic);
    assert(source !== undefined && source.def.kind === 'source', `no source reads ${input.topic}`);
    const def = source.def;
    const key = this.deserializer(def, 'key').deserialize(input.topic, input.key, [...input.headers]);
    const value = this.deserializer(def, 'value').deserialize(input.topic, input.value, [...input.headers]);
    const timestamp = def.timestampExtractor === undefined
      ? input.timestamp
      : def.timestampExtractor({ topic: input.topic, key, value, timestamp: input.timestamp }, this.streamTimeMs);
    if (timestamp < 0) {
      throw new StreamsException(`Input record ${input.topic}-${input.partition}@${input.offset} has invalid (negative) timestamp ${timestamp}.`);
    }
    this.streamTimeMs = Math.max(this.streamTimeMs, timestamp);
    this.recordContext = { topic: input.topic, partition: input.partition, offset: input.offset, timestamp, headers: input.headers, fromInput: true };
    try {
      this.forwardTo(source, { key, value, timestamp, headers: input.headers });
    } finally {
      this.recordContext = undefined;
    }
    this.maybePunctuateStreamTime();
  }

  maybePunctuateStreamTime(): boolean {
    if (this.streamTimeMs < 0) return false;
    return this.streamTimePunctuations.maybePunctuate(this.streamTimeMs, (s) => this.punctuate(s, this.streamTimeMs));
  }

  maybePunctuateSystemTime(): boolean {
    const nowMs = this.clock.now();
    return this.wallClockPunctuations.maybePunctuate(nowMs, (s) => this.punctuate(s, nowMs));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const node of this.nodes.values()) node.processor?.close?.();
  }

  private initProcessors(): void {
    for (const node of this.nodes.values()) {
      if (node.def.kind !== 'processor') continue;
      node.processor = supply(node.def.supplier);
      const init = node.processor.init;
      if (init !== undefined) this.runAs(node, () => init.call(node.processor, this.contextFor(node)));
    }
  }

  private contextFor(node: RunningNode): ProcessorContext<unknown, unknown> {
    return {
      applicationId: this.config.applicationId ?? 'samsa-streams',
      taskId: this.id,
      forward: (record, childName) => this.forwardFrom(node, record, childName),
      recordMetadata: () => this.recordMetadata(),
      currentStreamTimeMs: () => this.streamTimeMs,
      currentSystemTimeMs: () => this.clock.now(),
      schedule: (intervalMs, type, punctuator) => this.schedule(node, intervalMs, type, punctuator),
    };
  }

  private recordMetadata(): RecordMetadata | null {
    const rc = this.recordContext;
    return rc === undefined || !rc.fromInput ? null : { topic: rc.topic!, partition: rc.partition, offset: rc.offset };
  }

  private schedule(node: RunningNode, intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable {
    if (!(intervalMs >= 1)) throw new RangeError(`The minimum supported scheduling interval is 1 millisecond, not ${intervalMs}`);
    // Stream time punctuations align to 0 and fire at the first record; wall-clock ones an interval from now.
    const dueMs = type === 'STREAM_TIME' ? 0 : this.clock.now() + intervalMs;
    const s: Schedule = { node, dueMs, intervalMs, punctuator, cancelled: false };
    (type === 'STREAM_TIME' ? this.streamTimePunctuations : this.wallClockPunctuations).add(s);
    return { cancel: () => void (s.cancelled = true) };
  }

  private punctuate(s: Schedule, timestampMs: number): void {
    // Records forwarded from a punctuation have no input record behind them.
    this.recordContext = { topic: null, partition: -1, offset: -1, timestamp: timestampMs, headers: [], fromInput: false };
    try {
      this.runAs(s.node, () => s.punctuator(timestampMs));
    } finally {
      this.recordContext = undefined;
    }
  }

  private forwardFrom(node: RunningNode, record: StreamRecord<unknown, unknown>, childName: string | undefined): void {
    assert(this.current === node, `${node.def.name} forwarded outside its own process, init or punctuation`);
    if (childName === undefined) {
      for (const child of node.children) this.forwardTo(child, record);
      return;
    }
    const child = node.children.find((c) => c.def.name === childName);
    if (child === undefined) throw new StreamsException(`Unknown downstream node: ${childName} either does not exist or is not connected to this processor.`);
    this.forwardTo(child, record);
  }

  private forwardTo(node: RunningNode, record: StreamRecord<unknown, unknown>): void {
    const def = node.def;
    if (def.kind === 'source') {
      this.runAs(node, () => {
        for (const child of node.children) this.forwardTo(child, record);
      });
    } else if (def.kind === 'processor') {
      this.runAs(node, () => node.processor!.process(record));
    } else {
      this.sink(def, record);
    }
  }

  private runAs(node: RunningNode, fn: () => void): void {
    const previous = this.current;
    this.current = node;
    try {
      fn();
    } finally {
      this.current = previous;
    }
  }

  private sink(def: SinkNode, record: StreamRecord<unknown, unknown>): void {
    const rc = this.recordContext;
    assert(rc !== undefined, 'a record reached a sink outside processing');
    const topic = typeof def.topic === 'string'
      ? def.topic
      : def.topic(record.key, record.value, { ...rc, timestamp: record.timestamp, headers: record.headers });
    const headers = [...record.headers];
    const key = this.serializer(def, 'key').serialize(topic, record.key, headers);
    const value = this.serializer(def, 'value').serialize(topic, record.value, headers);
    let partition: number | undefined;
    const partitions = this.collector.partitionsFor(topic);
    if (def.partitioner !== undefined && partitions !== undefined) {
      const p = def.partitioner(topic, record.key, record.value, partitions);
      if (p !== null && p !== undefined) {
        if (!Number.isInteger(p) || p < 0 || p >= partitions) throw new StreamsException(`The partitioner of ${def.name} chose partition ${p} of ${topic}, which has ${partitions}`);
        partition = p;
      }
    }
    this.collector.send({ topic, partition, key, value, timestamp: record.timestamp, headers });
  }

  private deserializer(def: SourceNode, which: 'key' | 'value'): Deserializer<unknown> {
    return this.serdeFor(def.name, which, which === 'key' ? def.keyDeserializer : def.valueDeserializer);
  }

  private serializer(def: SinkNode, which: 'key' | 'value'): Serializer<unknown> {
    return this.serdeFor(def.name, which, which === 'key' ? def.keySerializer : def.valueSerializer);
  }

  private serdeFor<T extends Serializer<unknown> | Deserializer<unknown>>(node: string, which: 'key' | 'value', given: T | undefined): T {
    if (given !== undefined) return given;
    const fallback = which === 'key' ? this.config.defaultKeySerde : this.config.defaultValueSerde;
    if (fallback === undefined) {
      throw new StreamsException(`${node} has no ${which} serde: give one (Consumed/Produced) or set default${which === 'key' ? 'Key' : 'Value'}Serde, Kafka's default.${which}.serde`);
    }
    return fallback as unknown as T;
  }
}
