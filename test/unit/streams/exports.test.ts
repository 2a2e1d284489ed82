import { test } from 'node:test';
import assert from 'node:assert/strict';

test('the package exports samsa/streams, and a topology built through it runs in its test driver', async () => {
  // A runtime specifier, so type-checking a clean checkout does not need dist/ to exist yet.
  const specifier: string = 'samsa/streams';
  const streams = (await import(specifier)) as typeof import('../../../src/streams/index.js');
  const S = streams.Serdes.String();
  const builder = new streams.StreamsBuilder();
  builder.stream<string, string>('in', { ...streams.Consumed.with(S, S), ...streams.Consumed.as('reader') })
    .to('out', { ...streams.Produced.with(S, S), name: 'writer' });
  const topology = builder.build();
  assert.match(topology.describe().toString(), /Source: reader \(topics: \[in\]\)\n {6}--> writer\n {4}Sink: writer \(topic: out\)\n {6}<-- reader\n/);
  const driver = new streams.TopologyTestDriver(topology);
  driver.createInputTopic('in', S, S).pipeInput('k', 'v');
  assert.deepEqual(driver.createOutputTopic('out', S, S).readKeyValue(), streams.KeyValue.pair('k', 'v'));
});
