/**
 * The Processor API's types, as Kafka Streams' `org.apache.kafka.streams.processor.api`: a record
 * is data (key, value, timestamp, headers); a processor receives records one at a time and
 * forwards records to its children through its context.
 */
import type { Header } from './serdes.js';

/** Kafka's `api.Record`; immutable by habit: forward `{ ...record, value }` rather than editing one. */
export interface StreamRecord<K, V> {
  readonly key: K;
  readonly value: V;
  /** Milliseconds since the epoch: the input's timestamp as extracted, carried to the output. */
  readonly timestamp: number;
  readonly headers: readonly Header[];
}

/** Where the record being processed came from (Kafka's `RecordMetadata`); none inside a punctuation. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export type PunctuationType = 'STREAM_TIME' | 'WALL_CLOCK_TIME';
export const PunctuationType = { STREAM_TIME: 'STREAM_TIME', WALL_CLOCK_TIME: 'WALL_CLOCK_TIME' } as const;

/** Called with the stream time or the wall-clock time that made the punctuation due. */
export type Punctuator = (timestampMs: number) => void;

export interface Cancellable {
  cancel(): void;
}

export interface ProcessorContext<KOut, VOut> {
  readonly applicationId: string;
  /** Kafka's task id, `<subtopology>_<partition>`. */
  readonly taskId: string;
  /** Sends a record to every child, or to the child named. */
  forward<K extends KOut, V extends VOut>(record: StreamRecord<K, V>, childName?: string): void;
  /** Topic, partition and offset of the input record being processed; null in a punctuation. */
  recordMetadata(): RecordMetadata | null;
  /** The largest timestamp this task has processed, -1 before its first record. */
  currentStreamTimeMs(): number;
  currentSystemTimeMs(): number;
  /**
   * Kafka's `schedule`: STREAM_TIME punctuations are aligned to 0 and fire as records move stream
   * time past each interval; WALL_CLOCK_TIME ones fire `intervalMs` from now, then every interval.
   */
  schedule(intervalMs: number, type: PunctuationType, punctuator: Punctuator): Cancellable;
}

export interface Processor<KIn, VIn, KOut = never, VOut = never> {
  init?(context: ProcessorContext<KOut, VOut>): void;
  process(record: StreamRecord<KIn, VIn>): void;
  close?(): void;
}

/** A fresh processor per task: a function, or Kafka's shape, an object with `get()`. */
export type ProcessorSupplier<KIn, VIn, KOut = never, VOut = never> =
  | (() => Processor<KIn, VIn, KOut, VOut>)
  | { get(): Processor<KIn, VIn, KOut, VOut> };

export function supply<KIn, VIn, KOut, VOut>(supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>): Processor<KIn, VIn, KOut, VOut> {
  return typeof supplier === 'function' ? supplier() : supplier.get();
}

/** Kafka's `KeyValue`. */
export interface KeyValue<K, V> {
  readonly key: K;
  readonly value: V;
}

export const KeyValue = {
  pair: <K, V>(key: K, value: V): KeyValue<K, V> => ({ key, value }),
};

/** Kafka's TimestampExtractor: the record's own timestamp unless told otherwise. */
export type TimestampExtractor = (record: { topic: string; key: unknown; value: unknown; timestamp: number }, partitionTimeMs: number) => number;

/** Kafka's `TopologyException`: a topology that cannot be built as asked. */
export class TopologyException extends Error {
  override name = 'TopologyException';
  constructor(message: string) {
    super(`Invalid topology: ${message}`);
  }
}

/** Kafka's `StreamsException`: processing failed; `cause` says why. */
export class StreamsException extends Error {
  override name = 'StreamsException';
}
