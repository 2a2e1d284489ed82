import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAddConfig, formatEntry } from '../../../src/cli/configs.js';
import { parseOffsetJson } from '../../../src/cli/delete-records.js';
import { dumpLog, dumpOffsetIndex, dumpTimeIndex } from '../../../src/cli/dump-log.js';
import { encodeRecordBatch, Compression } from '../../../src/protocol/records/index.js';

test('--add-config: comma-separated pairs, [] for list values', () => {
  assert.deepEqual([...parseAddConfig('a=1,cleanup.policy=[compact,delete], b = x=y ')], [
    ['a', '1'],
    ['cleanup.policy', 'compact,delete'],
    ['b', 'x=y'],
  ]);
  assert.throws(() => parseAddConfig('novalue'), /key=value/);
});

test('configs lines look like kafka-configs.sh', () => {
  assert.equal(
    formatEntry({ name: 'retention.ms', value: '5', source: 1, readOnly: false, isSensitive: false, type: 5, documentation: null, synonyms: [{ name: 'retention.ms', value: '5', source: 1 }, { name: 'log.retention.hours', value: '168', source: 5 }] }),
    'retention.ms=5 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=5, DEFAULT_CONFIG:log.retention.hours=168}',
  );
});

test('offset JSON: Kafka\'s format, with a sentence for each mistake', () => {
  assert.deepEqual(parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":-1}],"version":1}', 'f'), [{ topic: 't', partition: 0, offset: -1 }]);
  assert.throws(() => parseOffsetJson('{', 'f'), /not valid JSON/);
  assert.throws(() => parseOffsetJson('{"partitions":[{"topic":"t"}]}', 'f'), /Entry 0/);
  assert.throws(() => parseOffsetJson('{"partitions":[{"topic":"t","partition":0,"offset":1},{"topic":"t","partition":0,"offset":2}]}', 'f'), /duplicate/);
});

test('dump-log: compressed and control-free batches, records, a torn tail, and index files', async () => {
  const first = await encodeRecordBatch([{ key: 'k', value: 'v1', timestamp: 1000 }, { value: 'v2', timestamp: 1001 }], { baseOffset: 10, compression: Compression.Gzip });
  const second = await encodeRecordBatch([{ value: 'v3', headers: { h: 'x' }, timestamp: 2000 }], { baseOffset: 12, baseSequence: 5, producerId: 7, producerEpoch: 1 });
  const log = Buffer.concat([first, second, second.subarray(0, 20)]);
  const out = await dumpLog(log, 10, { deep: true, printData: true });
  const lines = out.trimEnd().split('\n');
  assert.equal(lines[0], 'Log starting offset: 10');
  assert.match(lines[1]!, /^baseOffset: 10 lastOffset: 11 count: 2 .* position: 0 CreateTime: 1001 size: \d+ magic: 2 compresscodec: gzip crc: \d+ isvalid: true$/);
  assert.equal(lines[2], '| offset: 10 CreateTime: 1000 keySize: 1 valueSize: 2 sequence: -1 headerKeys: [] key: k payload: v1');
  assert.equal(lines[3], '| offset: 11 CreateTime: 1001 keySize: -1 valueSize: 2 sequence: -1 headerKeys: [] payload: v2');
  assert.match(lines[4]!, new RegExp(`^baseOffset: 12 lastOffset: 12 count: 1 baseSequence: 5 lastSequence: 5 producerId: 7 producerEpoch: 1 .* position: ${first.length} `));
  assert.equal(lines[5], '| offset: 12 CreateTime: 2000 keySize: -1 valueSize: 2 sequence: 5 headerKeys: [h] payload: v3');
  assert.equal(lines[6], 'Found 20 invalid bytes at the end of 00000000000000000010.log');

  const corrupt = Buffer.from(second);
  corrupt[corrupt.length - 1] ^= 0xff;
  assert.match(await dumpLog(corrupt, 0, { deep: true, printData: true }), /isvalid: false\n$/);

  const index = Buffer.alloc(24);
  index.writeInt32BE(3, 0);
  index.writeInt32BE(4096, 4);
  assert.equal(dumpOffsetIndex(index, 100), 'offset: 103 position: 4096\n', 'the zero-filled tail is not printed');
  const timeIndex = Buffer.alloc(24);
  timeIndex.writeBigInt64BE(5000n, 0);
  timeIndex.writeInt32BE(2, 8);
  assert.equal(dumpTimeIndex(timeIndex, 100), 'timestamp: 5000 offset: 102\n');
});
