import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Branched, Consumed, KStream, Named, Produced, StreamsBuilder } from '../../../src/streams/kstream.js';
import { KeyValue } from '../../../src/streams/processor.js';
import { Serdes } from '../../../src/streams/serdes.js';
import { TopologyTestDriver, NoSuchElementError } from '../../../src/streams/test-driver.js';

const S = Serdes.String();
const strings = Consumed.with(S, S);
const out = Produced.with(S, S);

/** Builds `input` (String, String) → body → whatever body writes; returns the driver and topics. */
function run(body: (input: KStream<string | null, string | null>) => void) {
  const builder = new StreamsBuilder();
  body(builder.stream<string | null, string | null>('input', strings));
  const driver = new TopologyTestDriver(builder.build(), { initialWallClockTimeMs: 0 });
  const input = driver.createInputTopic('input', S, S);
  const output = (name = 'output') => driver.createOutputTopic(name, S, S);
  return { driver, input, output };
}

test('filter and filterNot keep and drop by key and value', () => {
  const { input, output } = run((s) => {
    s.filter((_k, v) => v !== null && v.startsWith('a')).to('output', out);
    s.filterNot((_k, v) => v !== null && v.startsWith('a')).to('rest', out);
  });
  input.pipeKeyValueList([KeyValue.pair('1', 'apple'), KeyValue.pair('2', 'banana'), KeyValue.pair('3', 'avocado'), KeyValue.pair('4', null)]);
  assert.deepEqual(output().readValuesToList(), ['apple', 'avocado']);
  assert.deepEqual(output('rest').readKeyValuesToList(), [KeyValue.pair('2', 'banana'), KeyValue.pair('4', null)]);
});

test('map, mapValues (with the key if wanted), selectKey; timestamps and headers go along', () => {
  const { input, output } = run((s) => {
    s.map((k, v) => KeyValue.pair(v, k)).to('output', out);
    s.mapValues((v, k) => `${k}:${v?.toUpperCase()}`).to('upper', out);
    s.selectKey((_k, v) => v?.slice(0, 1) ?? null).to('keyed', out);
  });
  input.pipeInput('k', 'value', 1234, [{ key: 'h', value: Buffer.from('x') }]);
  const r = output().readRecord();
  assert.deepEqual({ key: r.key, value: r.value, timestamp: r.timestamp }, { key: 'value', value: 'k', timestamp: 1234 });
  assert.deepEqual(r.headers, [{ key: 'h', value: Buffer.from('x') }]);
  assert.deepEqual(output('upper').readKeyValue(), KeyValue.pair('k', 'k:VALUE'));
  assert.deepEqual(output('keyed').readKeyValue(), KeyValue.pair('v', 'value'));
});

test('flatMap and flatMapValues emit zero or more records each, in order', () => {
  const { input, output } = run((s) => {
    s.flatMapValues((v) => (v ?? '').split(' ').filter((w) => w !== '')).to('output', out);
    s.flatMap((k, v) => (v ?? '').split(' ').filter((w) => w !== '').map((w, i) => KeyValue.pair(`${k}${i}`, w))).to('pairs', out);
  });
  input.pipeInput('k', 'hello streams world');
  input.pipeInput('e', '');
  assert.deepEqual(output().readKeyValuesToList(), [KeyValue.pair('k', 'hello'), KeyValue.pair('k', 'streams'), KeyValue.pair('k', 'world')]);
  assert.deepEqual(output('pairs').readKeyValuesToList(), [KeyValue.pair('k0', 'hello'), KeyValue.pair('k1', 'streams'), KeyValue.pair('k2', 'world')]);
});

test('peek sees each record and passes it on; foreach ends the stream', () => {
  const peeked: string[] = [];
  const seen: string[] = [];
  const { input, output } = run((s) => {
    s.peek((k, v) => peeked.push(`${k}=${v}`)).to('output', out);
    s.foreach((k, v) => seen.push(`${k}=${v}`));
  });
  input.pipeInput('a', '1');
  input.pipeInput(null, null);
  assert.deepEqual(peeked, ['a=1', 'null=null']);
  assert.deepEqual(seen, ['a=1', 'null=null']);
  assert.deepEqual(output().readKeyValuesToList(), [KeyValue.pair('a', '1'), KeyValue.pair(null, null)]);
});

test('null keys and null values pass through untouched (a null value is not an empty string)', () => {
  const { input, output } = run((s) => s.to('output', out));
  input.pipeInput(null, 'v');
  input.pipeInput('k', null);
  const first = output().readRecord();
  assert.equal(first.key, null);
  assert.deepEqual(output().readKeyValue(), KeyValue.pair('k', null));
  assert.equal(output().isEmpty(), true);
  assert.throws(() => output().readRecord(), (e: unknown) => e instanceof NoSuchElementError && /Empty topic: output/.test(e.message));
});

test('split: the first matching branch wins, unmatched records go to the default branch, names are prefix + name or index', () => {
  let branches = new Map<string, KStream<string | null, string | null>>();
  const { input, output } = run((s) => {
    branches = s.split(Named.as('split-'))
      .branch((_k, v) => v === 'a', Branched.as('as'))
      .branch((_k, v) => v === 'a' || v === 'b')
      .defaultBranch();
    branches.get('split-as')!.to('as', out);
    branches.get('split-2')!.to('bs', out);
    branches.get('split-0')!.to('output', out);
  });
  assert.deepEqual([...branches.keys()], ['split-as', 'split-2', 'split-0']);
  input.pipeValueList(['a', 'b', 'c', 'a']);
  assert.deepEqual(output('as').readValuesToList(), ['a', 'a']);
  assert.deepEqual(output('bs').readValuesToList(), ['b']);
  assert.deepEqual(output().readValuesToList(), ['c']);
});

test('split without a default branch drops unmatched records; withConsumer branches are not in the map, withFunction ones are', () => {
  const { input, output } = run((s) => {
    const branches = s.split()
      .branch((_k, v) => v === 'x', Branched.withConsumer((b) => b.to('xs', out)))
      .branch((_k, v) => v === 'y', Branched.withFunction((b) => b.mapValues((v): string | null => `${v}!`)))
      .noDefaultBranch();
    assert.deepEqual([...branches.keys()], ['KSTREAM-BRANCH-00000000012']);
    branches.get('KSTREAM-BRANCH-00000000012')!.to('output', out);
  });
  input.pipeValueList(['x', 'y', 'z']);
  assert.deepEqual(output('xs').readValuesToList(), ['x']);
  assert.deepEqual(output().readValuesToList(), ['y!']);
});

test('merge: records of both streams, in the order they are piped', () => {
  const builder = new StreamsBuilder();
  const left = builder.stream<string, string>('left', strings);
  const right = builder.stream<string, string>('right', strings).mapValues((v) => v.toUpperCase());
  left.merge(right).to('output', out);
  const driver = new TopologyTestDriver(builder.build());
  const l = driver.createInputTopic('left', S, S);
  const r = driver.createInputTopic('right', S, S);
  l.pipeInput('1', 'a');
  r.pipeInput('2', 'b');
  l.pipeInput('3', 'c');
  r.pipeInput('4', 'd');
  assert.deepEqual(driver.createOutputTopic('output', S, S).readKeyValuesToList(), [
    KeyValue.pair('1', 'a'), KeyValue.pair('2', 'B'), KeyValue.pair('3', 'c'), KeyValue.pair('4', 'D'),
  ]);
});

test('to() with a TopicNameExtractor picks the topic per record; Produced serdes write the bytes; a partitioner picks the partition', () => {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', strings)
    .mapValues((v) => v.length)
    .to((key) => `lengths-${key}`, Produced.with(S, Serdes.Long(), (_t, _k, v, n) => (v ?? 0) % n));
  const driver = new TopologyTestDriver(builder.build(), { outputPartitions: { 'lengths-a': 3 } });
  const input = driver.createInputTopic('input', S, S);
  input.pipeInput('a', 'four');
  input.pipeInput('b', 'hello');
  assert.deepEqual([...driver.producedTopicNames()].sort(), ['lengths-a', 'lengths-b']);
  const raw = driver.createOutputTopic('lengths-a', S, Serdes.ByteArray()).readRecord();
  assert.equal(raw.value!.toString('hex'), '0000000000000004', '8-byte big-endian, as Kafka\'s LongSerializer');
  assert.equal(raw.partition, 1);
  const b = driver.createOutputTopic('lengths-b', S, Serdes.Long()).readRecord();
  assert.equal(b.value, 5);
  assert.equal(b.partition, undefined, 'an unknown partition count leaves the partition to the producer');
});

test('pipeInput without a timestamp takes the topic\'s start time, auto-advanced; a sink with no serde and no default fails at start', () => {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', strings).to('output', out);
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('input', S, S, { startTimestampMs: 1000, autoAdvanceMs: 10 });
  input.pipeValueList(['a', 'b']);
  input.pipeInput('k', 'c', 5);
  assert.deepEqual(driver.createOutputTopic('output', S, S).readRecordsToList().map((r) => r.timestamp), [1000, 1010, 5]);
  assert.throws(() => driver.createInputTopic('nope', S, S), /Unknown topic: nope/);

  const bare = new StreamsBuilder();
  bare.stream<string, string>('input', strings).to('output');
  assert.throws(() => new TopologyTestDriver(bare.build()), /KSTREAM-SINK-0000000001 has no key serde/);
  const withDefaults = new TopologyTestDriver(bare.build(), { defaultKeySerde: S, defaultValueSerde: S });
  withDefaults.createInputTopic('input', S, S).pipeInput('k', 'v');
  assert.deepEqual(withDefaults.createOutputTopic('output', S, S).readKeyValue(), KeyValue.pair('k', 'v'));
});

test('a record written to a topic the topology reads is processed again, as Kafka\'s driver does', () => {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', strings).mapValues((v) => `${v}+`).to('middle', out);
  builder.stream<string, string>('middle', strings).mapValues((v) => `${v}!`).to('output', out);
  const driver = new TopologyTestDriver(builder.build());
  driver.createInputTopic('input', S, S).pipeInput('k', 'v');
  assert.deepEqual(driver.createOutputTopic('output', S, S).readValuesToList(), ['v+!']);
  assert.deepEqual(driver.createOutputTopic('middle', S, S).readValuesToList(), ['v+']);
});
