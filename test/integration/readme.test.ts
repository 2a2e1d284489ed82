// The README's library example, verbatim apart from the assertions, so the README stays true.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Broker, createClient } from '../../src/index.js';

test('README library example runs as written', async () => {
  const broker = await Broker.start({ port: 0 });
  const kafka = createClient({ bootstrapServers: broker.bootstrap });

  await kafka.admin().createTopics([{ topic: 'orders', numPartitions: 3 }]);
  await kafka.producer().send({ topic: 'orders', messages: [{ key: 'order-1', value: 'created' }] });

  const consumer = kafka.consumer();
  consumer.assign([0, 1, 2].map((partition) => ({ topic: 'orders', partition, offset: 'earliest' as const })));
  const [message] = await consumer.poll({ timeoutMs: 5000 });
  assert.equal(message?.key?.toString(), 'order-1');
  assert.equal(message?.value?.toString(), 'created');

  await kafka.close();
  await broker.stop();
});
