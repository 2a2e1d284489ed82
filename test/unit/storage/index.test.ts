import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OffsetIndex } from '../../../src/storage/offset-index.js';
import { TimeIndex } from '../../../src/storage/time-index.js';

describe('OffsetIndex', () => {
  it('looks up the last entry at or below a target and round-trips its bytes', () => {
    const idx = new OffsetIndex(100, 1000);
    for (let i = 1; i <= 200; i++) idx.append(100 + i * 10, i * 1000);
    assert.deepEqual(idx.lookup(50), { offset: 100, position: 0 });
    assert.deepEqual(idx.lookup(109), { offset: 100, position: 0 });
    assert.deepEqual(idx.lookup(110), { offset: 110, position: 1000 });
    assert.deepEqual(idx.lookup(1555), { offset: 1550, position: 145000 });
    assert.deepEqual(idx.lookup(1e9), { offset: 2100, position: 200000 });
    const bytes = idx.bytes();
    assert.equal(bytes.length, 200 * 8);
    assert.equal(bytes.readInt32BE(0), 10, 'offsets are relative to the base');
    const parsed = OffsetIndex.parse(bytes, 100, 1000, 1e9);
    assert.ok(parsed instanceof OffsetIndex);
    assert.deepEqual(parsed.lookup(1555), idx.lookup(1555));
  });

  it('refuses files of partial entries or going backwards, and truncates', () => {
    assert.equal(typeof OffsetIndex.parse(Buffer.alloc(12), 0, 10, 100), 'string');
    const back = Buffer.alloc(16);
    back.writeInt32BE(5, 0);
    back.writeInt32BE(10, 4);
    back.writeInt32BE(4, 8);
    back.writeInt32BE(20, 12);
    assert.equal(typeof OffsetIndex.parse(back, 0, 10, 100), 'string');
    const idx = new OffsetIndex(0, 3);
    idx.append(5, 10);
    idx.append(9, 20);
    idx.append(15, 30);
    assert.ok(idx.isFull);
    idx.truncateToOffset(9);
    assert.equal(idx.entries, 1);
  });
});

describe('TimeIndex', () => {
  it('keeps only increasing timestamps and finds the last entry at or below a time', () => {
    const idx = new TimeIndex(0, 100);
    idx.maybeAppend(-1, 0);
    assert.equal(idx.entries, 0, 'no entry for a missing timestamp');
    idx.maybeAppend(1000, 4);
    idx.maybeAppend(1000, 8);
    idx.maybeAppend(900, 9);
    idx.maybeAppend(2000, 12);
    assert.equal(idx.entries, 2);
    assert.deepEqual(idx.lookup(999), { timestamp: -1, offset: 0 });
    assert.deepEqual(idx.lookup(1500), { timestamp: 1000, offset: 4 });
    assert.deepEqual(idx.lastEntry(), { timestamp: 2000, offset: 12 });
    const parsed = TimeIndex.parse(idx.bytes(), 0, 100);
    assert.ok(parsed instanceof TimeIndex);
    assert.equal(parsed.bytes().length, 24);
    idx.truncateToOffset(12);
    assert.deepEqual(idx.lastEntry(), { timestamp: 1000, offset: 4 });
  });
});
