import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumed, Named, Produced, StreamsBuilder } from '../../../src/streams/kstream.js';
import { Serdes } from '../../../src/streams/serdes.js';
import { Topology } from '../../../src/streams/topology.js';
import { TopologyException } from '../../../src/streams/processor.js';

const S = Serdes.String();

test('describe() prints Kafka\'s TopologyDescription text, with Kafka\'s generated node names', () => {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', Consumed.with(S, S))
    .filter((_k, v) => v !== '')
    .mapValues((v) => v.toUpperCase())
    .to('output', Produced.with(S, S));
  assert.equal(builder.build().describe().toString(),
    'Topologies:\n' +
    '   Sub-topology: 0\n' +
    '    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n' +
    '      --> KSTREAM-FILTER-0000000001\n' +
    '    Processor: KSTREAM-FILTER-0000000001 (stores: [])\n' +
    '      --> KSTREAM-MAPVALUES-0000000002\n' +
    '      <-- KSTREAM-SOURCE-0000000000\n' +
    '    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])\n' +
    '      --> KSTREAM-SINK-0000000003\n' +
    '      <-- KSTREAM-FILTER-0000000001\n' +
    '    Sink: KSTREAM-SINK-0000000003 (topic: output)\n' +
    '      <-- KSTREAM-MAPVALUES-0000000002\n' +
    '\n');
});

test('describe(): unconnected streams are separate sub-topologies (later ones indented by two, as Kafka prints them); branches, merge and Named names', () => {
  const builder = new StreamsBuilder();
  const a = builder.stream<string, string>('a', Consumed.with(S, S));
  const branches = a.split(Named.as('s-')).branch((_k, v) => v === 'x').defaultBranch();
  branches.get('s-1')!.merge(branches.get('s-0')!).to('ab', Produced.with(S, S));
  builder.stream<string, string>(['c', 'd'], Consumed.with(S, S)).selectKey((_k, v) => v).foreach(() => {});
  const text = builder.build().describe().toString();
  assert.equal(text,
    'Topologies:\n' +
    '   Sub-topology: 0\n' +
    '    Source: KSTREAM-SOURCE-0000000000 (topics: [a])\n' +
    '      --> s-\n' +
    '    Processor: s- (stores: [])\n' +
    '      --> s-0, s-1\n' +
    '      <-- KSTREAM-SOURCE-0000000000\n' +
    '    Processor: s-0 (stores: [])\n' +
    '      --> KSTREAM-MERGE-0000000003\n' +
    '      <-- s-\n' +
    '    Processor: s-1 (stores: [])\n' +
    '      --> KSTREAM-MERGE-0000000003\n' +
    '      <-- s-\n' +
    '    Processor: KSTREAM-MERGE-0000000003 (stores: [])\n' +
    '      --> KSTREAM-SINK-0000000004\n' +
    '      <-- s-0, s-1\n' +
    '    Sink: KSTREAM-SINK-0000000004 (topic: ab)\n' +
    '      <-- KSTREAM-MERGE-0000000003\n' +
    '\n' +
    '  Sub-topology: 1\n' +
    '    Source: KSTREAM-SOURCE-0000000005 (topics: [c, d])\n' +
    '      --> KSTREAM-KEY-SELECT-0000000006\n' +
    '    Processor: KSTREAM-KEY-SELECT-0000000006 (stores: [])\n' +
    '      --> KSTREAM-FOREACH-0000000007\n' +
    '      <-- KSTREAM-SOURCE-0000000005\n' +
    '    Processor: KSTREAM-FOREACH-0000000007 (stores: [])\n' +
    '      --> none\n' +
    '      <-- KSTREAM-KEY-SELECT-0000000006\n' +
    '\n');
  const subs = builder.build().describe().subtopologies;
  assert.deepEqual(subs.map((s) => s.id), [0, 1]);
});

test('describe(): a sink with a TopicNameExtractor names the extractor', () => {
  const builder = new StreamsBuilder();
  const byKey = (key: string): string => `out-${key}`;
  builder.stream<string, string>('in', Consumed.with(S, S)).to(byKey, Produced.with(S, S));
  assert.match(builder.build().describe().toString(), /Sink: KSTREAM-SINK-0000000001 \(extractor class: byKey\)\n {6}<-- KSTREAM-SOURCE-0000000000\n/);
});

test('the Processor API refuses what Kafka refuses: a topic read twice, a name used twice, an unknown or sink parent', () => {
  const t = new Topology().addSource('src', ['in']);
  assert.throws(() => t.addSource('other', ['in']), (e: unknown) => e instanceof TopologyException && /Topic in has already been registered by another source/.test(e.message));
  assert.throws(() => t.addSource('src', ['x']), /Processor src is already added/);
  assert.throws(() => t.addProcessor('p', () => ({ process() {} }), 'nope'), /Parent processor nope is not added yet for p/);
  t.addSink('sink', 'out', {}, 'src');
  assert.throws(() => t.addProcessor('q', () => ({ process() {} }), 'sink'), /Sink sink cannot be used a parent/);
});
