import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LocalMetadataStore } from '../../../src/cluster/metadata-store.js';
import { PRODUCER_ID_BLOCK_SIZE, ProducerIdManager } from '../../../src/cluster/producer-ids.js';
import { silentLogger } from '../../../src/util/logger.js';

test('producer ids come from durable blocks: unique under concurrency and never reused after a restart', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-pids-'));
  try {
    let store = await LocalMetadataStore.open(dir, silentLogger);
    let ids = new ProducerIdManager(store, 10);
    const first = await Promise.all(Array.from({ length: 25 }, () => ids.allocate()));
    assert.deepEqual([...first].sort((a, b) => a - b), Array.from({ length: 25 }, (_, i) => i));
    await store.close();

    // The rest of the third block (25..29) is skipped: a restart starts at the next block.
    store = await LocalMetadataStore.open(dir, silentLogger);
    ids = new ProducerIdManager(store, 10);
    assert.equal(await ids.allocate(), 30);
    await store.close();

    store = await LocalMetadataStore.open(dir, silentLogger);
    assert.equal(await new ProducerIdManager(store).allocate(), 40);
    assert.equal(await new ProducerIdManager(store).allocate(), 40 + PRODUCER_ID_BLOCK_SIZE);
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
