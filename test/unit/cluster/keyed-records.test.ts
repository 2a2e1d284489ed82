import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalMetadataStore } from '../../../src/cluster/metadata-store.js';
import { silentLogger } from '../../../src/util/logger.js';

test('keyed records in the local store are applied as a batch and survive a restart (snapshot and log)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-keyed-'));
  try {
    let store = await LocalMetadataStore.open(dir, silentLogger);
    const v0 = store.recordsVersion('scram');
    await store.putRecords('scram', [
      { key: 'alice/SCRAM-SHA-256', value: { iterations: 4096 } },
      { key: 'bob/SCRAM-SHA-512', value: { iterations: 8192 } },
    ]);
    assert.equal(store.recordsVersion('scram'), v0 + 1);
    await store.putRecords('scram', [{ key: 'bob/SCRAM-SHA-512', value: null }]);
    await store.putRecords('quota', [{ key: 'user=alice', value: { producer_byte_rate: 1024 } }]);
    await store.close();

    store = await LocalMetadataStore.open(dir, silentLogger);
    assert.deepEqual([...store.records('scram')], [['alice/SCRAM-SHA-256', { iterations: 4096 }]]);
    assert.deepEqual(store.records('quota').get('user=alice'), { producer_byte_rate: 1024 });
    assert.equal(store.records('acl').size, 0);
    await store.putRecords('acl', [{ key: 'x', value: { p: 1 } }]);
    await store.close();
    // Reopened twice: once from the snapshot written at the last open plus the appended record.
    store = await LocalMetadataStore.open(dir, silentLogger);
    assert.equal(store.records('acl').size, 1);
    assert.equal(store.records('scram').size, 1);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
