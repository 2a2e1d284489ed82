import { test } from 'node:test';
import assert from 'node:assert/strict';
import { legacyOffsetsBefore, type LegacyOffsetsArgs } from '../../../src/storage/legacy-offsets.js';

/** Three segments written at t=100, 200, 300, the last one holding data; log end 30 at t=1000. */
const base: LegacyOffsetsArgs = {
  segments: [{ baseOffset: 0, lastModifiedMs: 100, size: 50 }, { baseOffset: 10, lastModifiedMs: 200, size: 50 }, { baseOffset: 20, lastModifiedMs: 300, size: 50 }],
  logStartOffset: 0, logEndOffset: 30, highWatermark: 30, nowMs: 1000, timestamp: -1, maxNumOffsets: 10, fromConsumer: true,
};
const ask = (over: Partial<LegacyOffsetsArgs>) => legacyOffsetsBefore({ ...base, ...over });

test('ListOffsets v0 offsets as Kafka computes them: boundaries before the time, newest first', () => {
  assert.deepEqual(ask({}), [30, 20, 10, 0]);
  assert.deepEqual(ask({ timestamp: -2 }), [0]);
  assert.deepEqual(ask({ timestamp: 250 }), [10, 0], 'the last boundary at or before t=250 is segment 10');
  assert.deepEqual(ask({ timestamp: 250, maxNumOffsets: 1 }), [10]);
  assert.deepEqual(ask({ timestamp: 99 }), []);
  assert.deepEqual(ask({ maxNumOffsets: 0 }), []);
  assert.equal(ask({ maxNumOffsets: -1 }), null);
  // A log start offset inside the first segment replaces its base offset.
  assert.deepEqual(ask({ logStartOffset: 4, timestamp: -2 }), [4]);
  // An empty active segment adds no log-end entry.
  assert.deepEqual(ask({ segments: [...base.segments.slice(0, 2), { baseOffset: 20, lastModifiedMs: 300, size: 0 }], logEndOffset: 20, highWatermark: 20 }), [20, 10, 0]);
});

test('a consumer never gets an offset above the high watermark; a replica (id -2) does', () => {
  assert.deepEqual(ask({ highWatermark: 25 }), [25, 20, 10, 0]);
  assert.deepEqual(ask({ highWatermark: 25, fromConsumer: false }), [30, 20, 10, 0]);
});
