/**
 * A `Topology` is data: named source, processor and sink nodes and the edges between them, as
 * Kafka Streams' Processor API builds it (`addSource`, `addProcessor`, `addSink`). The DSL
 * (`StreamsBuilder`) writes into one; a task (in the test driver, later in the runtime) turns it
 * into running processor nodes. `describe()` prints Kafka's TopologyDescription text.
 */
import type { Deserializer, Header, Serializer } from './serdes.js';
import type { ProcessorSupplier, TimestampExtractor } from './processor.js';
import { TopologyException } from './processor.js';

/** What a TopicNameExtractor sees of the record being written (Kafka's `RecordContext`). */
export interface RecordContext {
  readonly topic: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly headers: readonly Header[];
}

/** Picks the output topic per record (Kafka's `TopicNameExtractor`). */
export type TopicNameExtractor<K, V> = (key: K, value: V, recordContext: RecordContext) => string;

/** Kafka's `StreamPartitioner`: a partition, or null/undefined for the producer's default. Keys and values may be null. */
export type StreamPartitioner<K, V> = (topic: string, key: K | null, value: V | null, numPartitions: number) => number | null | undefined;

export interface SourceNode {
  readonly kind: 'source';
  readonly name: string;
  readonly topics: readonly string[];
  readonly keyDeserializer: Deserializer<unknown> | undefined;
  readonly valueDeserializer: Deserializer<unknown> | undefined;
  readonly timestampExtractor: TimestampExtractor | undefined;
}

export interface ProcessorNodeDef {
  readonly kind: 'processor';
  readonly name: string;
  readonly supplier: ProcessorSupplier<unknown, unknown, unknown, unknown>;
  readonly parents: readonly string[];
  /** Names of the state stores it uses; none until state stores exist. */
  readonly stores: readonly string[];
}

export interface SinkNode {
  readonly kind: 'sink';
  readonly name: string;
  readonly topic: string | TopicNameExtractor<unknown, unknown>;
  readonly keySerializer: Serializer<unknown> | undefined;
  readonly valueSerializer: Serializer<unknown> | undefined;
  readonly partitioner: StreamPartitioner<unknown, unknown> | undefined;
  readonly parents: readonly string[];
}

export type NodeDef = SourceNode | ProcessorNodeDef | SinkNode;

export interface SourceOptions {
  keyDeserializer?: Deserializer<unknown>;
  valueDeserializer?: Deserializer<unknown>;
  timestampExtractor?: TimestampExtractor;
}

export interface SinkOptions<K, V> {
  keySerializer?: Serializer<K>;
  valueSerializer?: Serializer<V>;
  partitioner?: StreamPartitioner<K, V>;
}

export class Topology {
  /** Insertion order matters: Kafka numbers sub-topologies in the order their first node was added. */
  private readonly nodeDefs = new Map<string, NodeDef>();
  private readonly topicToSource = new Map<string, string>();

  addSource(name: string, topics: readonly string[], options: SourceOptions = {}): this {
    if (topics.length === 0) throw new TopologyException('You must provide at least one topic');
    this.checkNewName(name);
    for (const topic of topics) {
      if (this.topicToSource.has(topic)) throw new TopologyException(`Topic ${topic} has already been registered by another source.`);
    }
    for (const topic of topics) this.topicToSource.set(topic, name);
    this.nodeDefs.set(name, { kind: 'source', name, topics: [...topics], ...pickSource(options) });
    return this;
  }

  addProcessor<KIn, VIn, KOut, VOut>(name: string, supplier: ProcessorSupplier<KIn, VIn, KOut, VOut>, ...parentNames: string[]): this {
    this.checkNewName(name);
    this.checkParents(name, parentNames);
    const s = supplier as unknown as ProcessorSupplier<unknown, unknown, unknown, unknown>;
    this.nodeDefs.set(name, { kind: 'processor', name, supplier: s, parents: parentNames, stores: [] });
    return this;
  }

  addSink<K, V>(name: string, topic: string | TopicNameExtractor<K, V>, options: SinkOptions<K, V>, ...parentNames: string[]): this {
    this.checkNewName(name);
    this.checkParents(name, parentNames);
    this.nodeDefs.set(name, {
      kind: 'sink',
      name,
      topic: topic as string | TopicNameExtractor<unknown, unknown>,
      keySerializer: options.keySerializer as Serializer<unknown> | undefined,
      valueSerializer: options.valueSerializer as Serializer<unknown> | undefined,
      partitioner: options.partitioner as StreamPartitioner<unknown, unknown> | undefined,
      parents: parentNames,
    });
    return this;
  }

  /** Every node, in the order added. */
  nodes(): readonly NodeDef[] {
    return [...this.nodeDefs.values()];
  }

  node(name: string): NodeDef | undefined {
    return this.nodeDefs.get(name);
  }

  /** The source node reading `topic`, if any. */
  sourceFor(topic: string): SourceNode | undefined {
    const name = this.topicToSource.get(topic);
    return name === undefined ? undefined : (this.nodeDefs.get(name) as SourceNode);
  }

  sourceTopics(): string[] {
    return [...this.topicToSource.keys()];
  }

  /** Nodes grouped into sub-topologies: connected nodes share one, numbered by first node added. */
  subtopologies(): string[][] {
    const root = new Map<string, string>();
    const find = (n: string): string => {
      let r = n;
      while (root.get(r) !== r) r = root.get(r)!;
      root.set(n, r);
      return r;
    };
    for (const def of this.nodeDefs.values()) {
      root.set(def.name, def.name);
      if (def.kind !== 'source') for (const p of def.parents) root.set(find(p), find(def.name));
    }
    const groups = new Map<string, string[]>();
    for (const def of this.nodeDefs.values()) {
      const r = find(def.name);
      const group = groups.get(r) ?? [];
      group.push(def.name);
      groups.set(r, group);
    }
    return [...groups.values()];
  }

  describe(): TopologyDescription {
    return new TopologyDescription(this);
  }

  private checkNewName(name: string): void {
    if (name === '') throw new TopologyException('a node name must not be empty');
    if (this.nodeDefs.has(name)) throw new TopologyException(`Processor ${name} is already added.`);
  }

  private checkParents(name: string, parentNames: readonly string[]): void {
    if (parentNames.length === 0) throw new TopologyException(`${name} must have at least one parent`);
    for (const parent of parentNames) {
      if (parent === name) throw new TopologyException(`Processor ${name} cannot be a predecessor of itself.`);
      const def = this.nodeDefs.get(parent);
      if (def === undefined) throw new TopologyException(`Parent processor ${parent} is not added yet for ${name}.`);
      if (def.kind === 'sink') throw new TopologyException(`Sink ${parent} cannot be used a parent.`);
    }
  }
}

function pickSource(o: SourceOptions): Omit<SourceNode, 'kind' | 'name' | 'topics'> {
  return { keyDeserializer: o.keyDeserializer, valueDeserializer: o.valueDeserializer, timestampExtractor: o.timestampExtractor };
}

export interface NodeDescription {
  readonly name: string;
  readonly kind: NodeDef['kind'];
  readonly predecessors: readonly string[];
  readonly successors: readonly string[];
}

export interface SubtopologyDescription {
  readonly id: number;
  readonly nodes: readonly NodeDescription[];
}

/** Kafka's TopologyDescription; `toString()` is its text, byte for byte. */
export class TopologyDescription {
  readonly subtopologies: readonly SubtopologyDescription[];
  private readonly topology: Topology;

  constructor(topology: Topology) {
    this.topology = topology;
    this.subtopologies = topology.subtopologies().map((names, id) => describeSubtopology(topology, id, names));
  }

  toString(): string {
    // Kafka's quirk, kept: the first sub-topology line is indented by three spaces, later ones by two.
    let text = 'Topologies:\n ';
    for (const sub of this.subtopologies) {
      text += `  Sub-topology: ${sub.id}\n`;
      for (const node of sub.nodes) text += `    ${this.nodeText(node)}\n`;
      text += '\n';
    }
    return text;
  }

  private nodeText(node: NodeDescription): string {
    const def = this.topology.node(node.name)!;
    const next = `\n      --> ${names(node.successors)}`;
    const prev = `\n      <-- ${names(node.predecessors)}`;
    if (def.kind === 'source') return `Source: ${def.name} (topics: [${def.topics.join(', ')}])${next}`;
    if (def.kind === 'processor') return `Processor: ${def.name} (stores: [${def.stores.join(', ')}])${next}${prev}`;
    if (typeof def.topic === 'string') return `Sink: ${def.name} (topic: ${def.topic})${prev}`;
    return `Sink: ${def.name} (extractor class: ${def.topic.name === '' ? 'anonymous' : def.topic.name})${prev}`;
  }
}

function names(list: readonly string[]): string {
  return list.length === 0 ? 'none' : list.join(', ');
}

/**
 * Kafka orders a sub-topology's nodes (and each node's neighbours) by the size of the sub-tree
 * below them, largest first, then by name: so sources come first and sinks last.
 */
function describeSubtopology(topology: Topology, id: number, nodeNames: readonly string[]): SubtopologyDescription {
  const preds = new Map<string, string[]>(nodeNames.map((n) => [n, []]));
  const succs = new Map<string, string[]>(nodeNames.map((n) => [n, []]));
  const size = new Map<string, number>(nodeNames.map((n) => [n, 1]));
  const grow = (n: string, delta: number): void => {
    size.set(n, size.get(n)! + delta);
    for (const p of preds.get(n)!) grow(p, delta);
  };
  // Kafka adds sizes while it connects the nodes, so a node's size counts what was connected below it by then.
  for (const n of nodeNames) {
    const def = topology.node(n)!;
    if (def.kind === 'source') continue;
    for (const p of def.parents) {
      preds.get(n)!.push(p);
      succs.get(p)!.push(n);
      grow(p, size.get(n)!);
    }
  }
  const order = (a: string, b: string): number => size.get(b)! - size.get(a)! || (a < b ? -1 : a > b ? 1 : 0);
  const nodes = [...nodeNames].sort(order).map((n) => ({
    name: n,
    kind: topology.node(n)!.kind,
    predecessors: [...preds.get(n)!].sort(order),
    successors: [...succs.get(n)!].sort(order),
  }));
  return { id, nodes };
}
