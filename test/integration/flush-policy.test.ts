/**
 * log.flush.interval.messages through a disk that counts: a SIGKILL keeps the page cache, so only
 * the disk seam can show that an acknowledgement waits for the fdatasync of its bytes. The disk
 * holds each sync back a little before it reports completion, so an acknowledgement sent before
 * the sync finished would reach the client first.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { basename, dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { type LogFile, type OpenLogFile, openLogFile } from '../../src/storage/file.js';
import { forwarding } from '../helpers/disk.js';

/** How long the disk holds a completed fdatasync before reporting it (a slow disk). */
const SYNC_HOLD_MS = 5;
const SENDS = 20;

interface FileState {
  /** The end of the bytes written so far. */
  written: number;
  /** The end of the bytes a completed fdatasync covers. */
  synced: number;
  syncs: number;
}

class CountingDisk {
  readonly files = new Map<string, FileState>();

  readonly open: OpenLogFile = async (path, flags) => {
    const file = await openLogFile(path, flags);
    const state = this.files.get(path) ?? { written: 0, synced: 0, syncs: 0 };
    this.files.set(path, state);
    if (flags === 'w+') state.written = state.synced = 0;
    const wrapped: LogFile = {
      ...forwarding(file),
      async writev(buffers, position) {
        const r = await file.writev(buffers, position);
        state.written = Math.max(state.written, position + r.bytesWritten);
        return r;
      },
      async datasync() {
        const covers = state.written;
        await file.datasync();
        await sleep(SYNC_HOLD_MS);
        state.syncs++;
        state.synced = Math.max(state.synced, covers);
      },
    };
    return wrapped;
  };

  /** The segment files of one partition directory (`topic-N`). */
  segmentsOf(partitionDir: string): FileState[] {
    return [...this.files.entries()].filter(([p]) => basename(dirname(p)) === partitionDir && p.endsWith('.log')).map(([, s]) => s);
  }
}

interface Setup {
  brokerConfig?: Record<string, string>;
  topicConfigs?: Array<{ name: string; value: string }>;
  acks: number;
}

async function produceCounting({ brokerConfig = {}, topicConfigs = [], acks }: Setup): Promise<{ unsyncedAtAck: string[]; syncs: number }> {
  const disk = new CountingDisk();
  const broker = await Broker.start({ port: 0, config: brokerConfig, disk: disk.open });
  const kafka = new Kafka({ clientId: 'flush-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'flushed', numPartitions: 1, configEntries: topicConfigs }] });
    await producer.connect();
    const unsyncedAtAck: string[] = [];
    for (let i = 0; i < SENDS; i++) {
      const [r] = await producer.send({ topic: 'flushed', acks, messages: [{ value: `m${i}` }] });
      assert.equal(Number(r!.baseOffset), i);
      // Only this producer writes the partition: every byte in its files is acknowledged now.
      for (const f of disk.segmentsOf('flushed-0')) if (f.synced < f.written) unsyncedAtAck.push(`offset ${i}: ${f.written - f.synced} bytes not synced`);
    }
    return { unsyncedAtAck, syncs: disk.segmentsOf('flushed-0').reduce((n, f) => n + f.syncs, 0) };
  } finally {
    await producer.disconnect();
    await admin.disconnect();
    await broker.stop();
  }
}

test('flush.messages=1 (topic) and log.flush.interval.messages=1 (broker): KafkaJS gets each acknowledgement only after an fdatasync covering its bytes completed', async () => {
  const setups: Array<[string, Setup]> = [
    ['topic flush.messages=1, acks=all', { topicConfigs: [{ name: 'flush.messages', value: '1' }], acks: -1 }],
    ['broker log.flush.interval.messages=1, acks=1', { brokerConfig: { 'log.flush.interval.messages': '1' }, acks: 1 }],
  ];
  for (const [what, setup] of setups) {
    const { unsyncedAtAck, syncs } = await produceCounting(setup);
    assert.deepEqual(unsyncedAtAck, [], what);
    assert.ok(syncs >= SENDS, `${what}: ${syncs} fdatasyncs for ${SENDS} sequential sends`);
  }
});

test('without a flush policy acknowledgements do not wait for fdatasync (the disk seam sees none while producing)', async () => {
  const { unsyncedAtAck } = await produceCounting({ acks: -1 });
  assert.equal(unsyncedAtAck.length, SENDS, 'every acknowledgement left with its bytes in the page cache only');
});
