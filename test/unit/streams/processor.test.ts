import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Consumed, Produced, StreamsBuilder } from '../../../src/streams/kstream.js';
import { PunctuationType, type ProcessorContext, type RecordMetadata } from '../../../src/streams/processor.js';
import { Serdes } from '../../../src/streams/serdes.js';
import { Topology } from '../../../src/streams/topology.js';
import { TopologyTestDriver } from '../../../src/streams/test-driver.js';

const S = Serdes.String();

test('process(): the context gives topic, partition and offset of the current record, stream time and headers; forward() goes on', () => {
  const seen: (RecordMetadata | null)[] = [];
  const streamTimes: number[] = [];
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', Consumed.with(S, S))
    .process<string, number>(() => {
      let ctx: ProcessorContext<string, number>;
      return {
        init: (c) => void (ctx = c),
        process: (r) => {
          seen.push(ctx.recordMetadata());
          streamTimes.push(ctx.currentStreamTimeMs());
          ctx.forward({ ...r, value: r.value.length, headers: [...r.headers, { key: 'seen-by', value: Buffer.from(ctx.taskId) }] });
        },
      };
    })
    .to('output', Produced.with(S, Serdes.Integer()));
  const driver = new TopologyTestDriver(builder.build(), { applicationId: 'app' });
  const input = driver.createInputTopic('input', S, S);
  input.pipeInput('a', 'xyz', 100);
  input.pipeInput('b', 'hello', 50);
  assert.deepEqual(seen, [{ topic: 'input', partition: 0, offset: 0 }, { topic: 'input', partition: 0, offset: 1 }]);
  assert.deepEqual(streamTimes, [100, 100], 'stream time is the largest timestamp so far: an out-of-order record does not move it back');
  const records = driver.createOutputTopic('output', S, Serdes.Integer()).readRecordsToList();
  assert.deepEqual(records.map((r) => [r.key, r.value, r.timestamp]), [['a', 3, 100], ['b', 5, 50]]);
  assert.deepEqual(records[0]!.headers, [{ key: 'seen-by', value: Buffer.from('0_0') }]);
});

test('stream-time punctuations align to 0, fire as records move stream time, and skip missed intervals as Kafka does', () => {
  const fired: number[] = [];
  const topology = new Topology()
    .addSource('src', ['input'], { keyDeserializer: S, valueDeserializer: S })
    .addProcessor('p', () => ({
      init: (ctx: ProcessorContext<string, string>) => {
        ctx.schedule(10, PunctuationType.STREAM_TIME, (ts) => {
          fired.push(ts);
          ctx.forward({ key: 'tick', value: String(ts), timestamp: ts, headers: [] });
        });
      },
      process: () => {},
    }), 'src')
    .addSink('sink', 'ticks', { keySerializer: S, valueSerializer: S }, 'p');
  const driver = new TopologyTestDriver(topology, { initialWallClockTimeMs: 0 });
  const input = driver.createInputTopic('input', S, S);
  driver.advanceWallClockTime(1000);
  assert.deepEqual(fired, [], 'wall-clock time does not fire stream-time punctuations');
  input.pipeInput('k', 'v', 5);
  assert.deepEqual(fired, [5], 'the first record fires at once (the schedule is aligned to 0)');
  input.pipeInput('k', 'v', 9);
  assert.deepEqual(fired, [5]);
  input.pipeInput('k', 'v', 10);
  input.pipeInput('k', 'v', 3);
  assert.deepEqual(fired, [5, 10], 'an older record does not move stream time');
  input.pipeInput('k', 'v', 47);
  input.pipeInput('k', 'v', 49);
  input.pipeInput('k', 'v', 50);
  assert.deepEqual(fired, [5, 10, 47, 50], 'one punctuation for the gap 20..40, then the next aligned one');
  const ticks = driver.createOutputTopic('ticks', S, S).readRecordsToList();
  assert.deepEqual(ticks.map((r) => [r.value, r.timestamp]), [['5', 5], ['10', 10], ['47', 47], ['50', 50]]);
});

test('wall-clock punctuations fire an interval after scheduling, on advanceWallClockTime only; cancel() stops them; no record metadata inside', () => {
  const fired: number[] = [];
  const metadata: (RecordMetadata | null)[] = [];
  let cancel = (): void => {};
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', Consumed.with(S, S)).process(() => ({
    init: (ctx: ProcessorContext<never, never>) => {
      const c = ctx.schedule(100, PunctuationType.WALL_CLOCK_TIME, (ts) => {
        fired.push(ts);
        metadata.push(ctx.recordMetadata());
      });
      cancel = () => c.cancel();
    },
    process: () => {},
  }));
  const driver = new TopologyTestDriver(builder.build(), { initialWallClockTimeMs: 1000 });
  driver.createInputTopic('input', S, S).pipeInput('k', 'v', 5000);
  assert.deepEqual(fired, [], 'records do not fire wall-clock punctuations');
  driver.advanceWallClockTime(99);
  assert.deepEqual(fired, []);
  driver.advanceWallClockTime(1);
  assert.deepEqual(fired, [1100]);
  driver.advanceWallClockTime(250);
  assert.deepEqual(fired, [1100, 1350], 'missed intervals fire once');
  driver.advanceWallClockTime(50);
  assert.deepEqual(fired, [1100, 1350, 1400]);
  assert.deepEqual(metadata, [null, null, null]);
  cancel();
  driver.advanceWallClockTime(1000);
  assert.equal(fired.length, 3);
  assert.throws(() => driver.advanceWallClockTime(-1), RangeError);
});

test('a processor forwards to one named child; close() closes every processor once', () => {
  let closed = 0;
  const topology = new Topology()
    .addSource('src', ['input'], { keyDeserializer: S, valueDeserializer: S })
    .addProcessor<string, string, string, string>('router', () => {
      let ctx: ProcessorContext<string, string>;
      return {
        init: (c) => void (ctx = c),
        process: (r) => ctx.forward(r, r.value === 'left' ? 'to-left' : 'to-right'),
        close: () => void closed++,
      };
    }, 'src')
    .addSink('to-left', 'left', { keySerializer: S, valueSerializer: S }, 'router')
    .addSink('to-right', 'right', { keySerializer: S, valueSerializer: S }, 'router');
  const driver = new TopologyTestDriver(topology);
  const input = driver.createInputTopic('input', S, S);
  input.pipeInput('1', 'left');
  input.pipeInput('2', 'other');
  assert.deepEqual(driver.createOutputTopic('left', S, S).readValuesToList(), ['left']);
  assert.deepEqual(driver.createOutputTopic('right', S, S).readValuesToList(), ['other']);
  driver.close();
  driver.close();
  assert.equal(closed, 1);
});

test('a Consumed timestamp extractor sets record timestamps; a negative one fails the record as Kafka does', () => {
  const builder = new StreamsBuilder();
  builder.stream<string, string>('input', { ...Consumed.with(S, S), timestampExtractor: (r) => Number(r.value) })
    .to('output', Produced.with(S, S));
  const driver = new TopologyTestDriver(builder.build());
  const input = driver.createInputTopic('input', S, S);
  input.pipeInput('k', '42', 1);
  assert.equal(driver.createOutputTopic('output', S, S).readRecord().timestamp, 42);
  assert.throws(() => input.pipeInput('k', '-5', 1), /has invalid \(negative\) timestamp -5/);
});
