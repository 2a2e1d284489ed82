/**
 * The DSL: `StreamsBuilder` and `KStream`'s stateless operations, each adding one processor node
 * to a `Topology` with Kafka Streams' generated name (`KSTREAM-FILTER-0000000001`, …) unless
 * `Named` gives one. The DSL only builds data; tasks run it.
 */
import type { Serde } from './serdes.js';
import type { KeyValue, Processor, ProcessorContext, ProcessorSupplier, StreamRecord, TimestampExtractor } from './processor.js';
import { Topology, type StreamPartitioner, type TopicNameExtractor } from './topology.js';

/** Kafka's `Named`: a node name instead of the generated one. */
export interface Named {
  readonly name?: string;
}
export const Named = { as: (name: string): Named => ({ name }) };

/**
 * Kafka's `Consumed`. A serde handles null itself (null stays null), so a stream of nullable
 * keys or values takes the Consumed and Produced of the non-null types: `Consumed.with(
 * Serdes.String(), Serdes.String())` for a `KStream<string | null, string | null>`.
 */
export interface Consumed<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly timestampExtractor?: TimestampExtractor;
}
export const Consumed = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>): Consumed<K, V> => ({ keySerde, valueSerde }),
  /** The source node's name instead of the generated one. */
  as: <K, V>(name: string): Consumed<K, V> => ({ name }),
};

/** Kafka's `Produced`. */
export interface Produced<K, V> extends Named {
  readonly keySerde?: Serde<K>;
  readonly valueSerde?: Serde<V>;
  readonly streamPartitioner?: StreamPartitioner<K, V>;
}
export const Produced = {
  with: <K, V>(keySerde: Serde<K>, valueSerde: Serde<V>, streamPartitioner?: StreamPartitioner<K, V>): Produced<K, V> => ({ keySerde, valueSerde, streamPartitioner }),
  /** The sink node's name instead of the generated one. */
  as: <K, V>(name: string): Produced<K, V> => ({ name }),
};

/** Kafka's `Branched`: a branch's name suffix, and what to do with the branch's stream. */
export interface Branched<K, V> {
  readonly name?: string;
  /** The stream put in the result map (none when it returns undefined). */
  readonly chain?: (branch: KStream<K, V>) => KStream<K, V> | undefined;
  /** Consumes the branch: nothing goes in the result map for it. */
  readonly consume?: (branch: KStream<K, V>) => void;
}
export const Branched = {
  as: <K, V>(name: string): Branched<K, V> => ({ name }),
  withFunction: <K, V>(chain: (branch: KStream<K, V>) => KStream<K, V> | undefined, name?: string): Branched<K, V> => ({ chain, name }),
  withConsumer: <K, V>(consume: (branch: KStream<K, V>) => void, name?: string): Branched<K, V> => ({ consume, name }),
};

export class StreamsBuilder {
  private readonly topology = new Topology();
  private index = 0;

  /** Kafka's `InternalStreamsBuilder.newProcessorName`: one counter for every generated name. */
  newProcessorName(prefix: string): string {
    return prefix + String(this.index++).padStart(10, '0');
  }

  /** A name from `Named` or, if none, a generated one (the counter moves only then, as in Kafka). */
  nameOf(named: Named | undefined, prefix: string): string {
    return named?.name ?? this.newProcessorName(prefix);
  }

  stream<K, V>(topics: string | readonly string[], consumed: Consumed<NonNullable<K>, NonNullable<V>> = {}): KStream<K, V> {
    const name = this.nameOf(consumed, 'KSTREAM-SOURCE-');
    this.topology.addSource(name, typeof topics === 'string' ? [topics] : topics, {
      keyDeserializer: consumed.keySerde,
      valueDeserializer: consumed.valueSerde,
      timestampExtractor: consumed.timestampExtractor,
    });
    return new KStream<K, V>(this, this.topology, name);
  }

  build(): Topology {
    return this.topology;
  }
}

type Forward<K, V> = (record: StreamRecord<K, V>) => void;

/** A processor from a function of the record and a forward: the shape of every stateless operation. */
function stateless<KIn, VIn, KOut, VOut>(step: (record: StreamRecord<KIn, VIn>, forward: Forward<KOut, VOut>) => void): ProcessorSupplier<KIn, VIn, KOut, VOut> {
  return () => {
    let context: ProcessorContext<KOut, VOut> | undefined;
    const forward: Forward<KOut, VOut> = (r) => context!.forward(r);
    const processor: Processor<KIn, VIn, KOut, VOut> = {
      init: (c) => void (context = c),
      process: (record) => step(record, forward),
    };
    return processor;
  };
}

export class KStream<K, V> {
  /** @internal The DSL's builder and topology; users build through the methods. */
  constructor(
    private readonly builder: StreamsBuilder,
    private readonly topology: Topology,
    /** The node this stream's records come out of. */
    readonly nodeName: string,
  ) {}

  filter(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.then('KSTREAM-FILTER-', named, stateless<K, V, K, V>((r, fwd) => predicate(r.key, r.value) && fwd(r)));
  }

  filterNot(predicate: (key: K, value: V) => boolean, named?: Named): KStream<K, V> {
    return this.then('KSTREAM-FILTER-', named, stateless<K, V, K, V>((r, fwd) => predicate(r.key, r.value) || fwd(r)));
  }

  map<K2, V2>(mapper: (key: K, value: V) => KeyValue<K2, V2>, named?: Named): KStream<K2, V2> {
    return this.then('KSTREAM-MAP-', named, stateless<K, V, K2, V2>((r, fwd) => {
      const kv = mapper(r.key, r.value);
      fwd({ ...r, key: kv.key, value: kv.value });
    }));
  }

  /** Kafka's ValueMapper and ValueMapperWithKey in one: the value first, the key if wanted. */
  mapValues<V2>(mapper: (value: V, key: K) => V2, named?: Named): KStream<K, V2> {
    return this.then('KSTREAM-MAPVALUES-', named, stateless<K, V, K, V2>((r, fwd) => fwd({ ...r, value: mapper(r.value, r.key) })));
  }

  flatMap<K2, V2>(mapper: (key: K, value: V) => Iterable<KeyValue<K2, V2>>, named?: Named): KStream<K2, V2> {
    return this.then('KSTREAM-FLATMAP-', named, stateless<K, V, K2, V2>((r, fwd) => {
      for (const kv of mapper(r.key, r.value)) fwd({ ...r, key: kv.key, value: kv.value });
    }));
  }

  flatMapValues<V2>(mapper: (value: V, key: K) => Iterable<V2>, named?: Named): KStream<K, V2> {
    return this.then('KSTREAM-FLATMAPVALUES-', named, stateless<K, V, K, V2>((r, fwd) => {
      for (const value of mapper(r.value, r.key)) fwd({ ...r, value });
    }));
  }

  selectKey<K2>(mapper: (key: K, value: V) => K2, named?: Named): KStream<K2, V> {
    return this.then('KSTREAM-KEY-SELECT-', named, stateless<K, V, K2, V>((r, fwd) => fwd({ ...r, key: mapper(r.key, r.value) })));
  }

  peek(action: (key: K, value: V) => void, named?: Named): KStream<K, V> {
    return this.then('KSTREAM-PEEK-', named, stateless<K, V, K, V>((r, fwd) => {
      action(r.key, r.value);
      fwd(r);
    }));
  }

  /** A terminal operation: nothing flows on. */
  foreach(action: (key: K, value: V) => void, named?: Named): void {
    this.then('KSTREAM-FOREACH-', named, stateless<K, V, never, never>((r) => action(r.key, r.value)));
  }

  /** Kafka's `split()`: each record goes to the first branch whose predicate holds, else the default. */
  split(named?: Named): BranchedKStream<K, V> {
    const splitter = this.builder.nameOf(named, 'KSTREAM-BRANCH-');
    return new BranchedKStream<K, V>(this.builder, this.topology, this.nodeName, splitter);
  }

  /** Both streams' records, in the order each arrives (Kafka's `merge`). */
  merge(other: KStream<K, V>, named?: Named): KStream<K, V> {
    const name = this.builder.nameOf(named, 'KSTREAM-MERGE-');
    this.topology.addProcessor(name, passThrough<K, V>(), this.nodeName, other.nodeName);
    return new KStream<K, V>(this.builder, this.topology, name);
  }

  /** The Processor API from the DSL (Kafka's `process`, returning the processor's output stream). */
  process<K2, V2>(supplier: ProcessorSupplier<K, V, K2, V2>, named?: Named): KStream<K2, V2> {
    return this.then('KSTREAM-PROCESSOR-', named, supplier);
  }

  /** Writes to a topic, or to the topic a TopicNameExtractor picks for each record. */
  to(topic: string | TopicNameExtractor<K, V>, produced: Produced<NonNullable<K>, NonNullable<V>> = {}): void {
    const name = this.builder.nameOf(produced, 'KSTREAM-SINK-');
    this.topology.addSink<K, V>(name, topic, {
      keySerializer: produced.keySerde,
      valueSerializer: produced.valueSerde,
      // The partitioner is typed over the non-null key and value and is given null ones as null.
      partitioner: produced.streamPartitioner as StreamPartitioner<K, V> | undefined,
    }, this.nodeName);
  }

  private then<K2, V2>(prefix: string, named: Named | undefined, supplier: ProcessorSupplier<K, V, K2, V2>): KStream<K2, V2> {
    const name = this.builder.nameOf(named, prefix);
    this.topology.addProcessor(name, supplier, this.nodeName);
    return new KStream<K2, V2>(this.builder, this.topology, name);
  }
}

function passThrough<K, V>(): ProcessorSupplier<K, V, K, V> {
  return stateless<K, V, K, V>((r, fwd) => fwd(r));
}

/** Kafka's BranchedKStream: branches named `<split name><branch name or index>`; the default is index 0. */
export class BranchedKStream<K, V> {
  private readonly predicates: ((key: K, value: V) => boolean)[] = [];
  private readonly childNames: string[] = [];
  private readonly branches = new Map<string, KStream<K, V>>();
  private hasDefault = false;

  /** @internal Made by `KStream.split()`. */
  constructor(
    private readonly builder: StreamsBuilder,
    private readonly topology: Topology,
    parent: string,
    private readonly splitter: string,
  ) {
    const { predicates, childNames } = this;
    topology.addProcessor<K, V, K, V>(splitter, () => {
      let context: ProcessorContext<K, V> | undefined;
      return {
        init: (c) => void (context = c),
        process: (record) => {
          const i = predicates.findIndex((p) => p(record.key, record.value));
          // Kafka's default branch is the child after the predicates' ones, if there is one.
          const child = i >= 0 ? childNames[i] : childNames[predicates.length];
          if (child !== undefined) context!.forward(record, child);
        },
      };
    }, parent);
  }

  branch(predicate: (key: K, value: V) => boolean, branched: Branched<K, V> = {}): this {
    if (this.hasDefault) throw new Error('a branch after defaultBranch() would never be reached');
    this.predicates.push(predicate);
    this.addBranch(branched, this.predicates.length);
    return this;
  }

  defaultBranch(branched: Branched<K, V> = {}): Map<string, KStream<K, V>> {
    this.hasDefault = true;
    this.addBranch(branched, 0);
    return this.branches;
  }

  noDefaultBranch(): Map<string, KStream<K, V>> {
    return this.branches;
  }

  private addBranch(branched: Branched<K, V>, index: number): void {
    const name = this.splitter + (branched.name ?? String(index));
    this.childNames.push(name);
    // Kafka spends a counter value on each branch even though the name does not use it.
    this.builder.newProcessorName(name);
    this.topology.addProcessor(name, passThrough<K, V>(), this.splitter);
    const stream = new KStream<K, V>(this.builder, this.topology, name);
    if (branched.chain !== undefined) {
      const chained = branched.chain(stream);
      if (chained !== undefined) this.branches.set(name, chained);
    } else if (branched.consume !== undefined) {
      branched.consume(stream);
    } else {
      this.branches.set(name, stream);
    }
  }
}
