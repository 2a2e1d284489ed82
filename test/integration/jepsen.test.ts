/**
 * The short Jepsen-style run: a fixed seed, one fault of each kind (kill, pause, partition — the
 * partition only where a network namespace can be made, and a failure instead where
 * SAMSA_REQUIRE_NETNS is set), idempotent and transactional producers and two read_committed
 * consumers throughout; the checker must find no anomaly in a history that has something in it.
 * `npm run soak -- --minutes N --seed S` runs a long schedule (bench/soak.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SYSTEM_PYTHON, installed } from '../helpers/broker.js';
import { formatReport, runJepsen } from '../jepsen/run.js';

const HAVE_KCAT = await installed('kcat', ['-V']);
const HAVE_CONFLUENT = await installed(SYSTEM_PYTHON, ['-c', 'import confluent_kafka']);
const SKIP = !HAVE_KCAT ? 'kcat is not installed (Debian package kcat)' : !HAVE_CONFLUENT ? 'Debian python3-confluent-kafka is not installed' : false;

/** A fixed seed, so that a failure here replays with `npm run soak -- --seed 7`. */
const SEED = 7;

test('Jepsen-style: a seeded kill, pause and partition under idempotent and transactional producers and read_committed consumers; no acknowledged write lost, no duplicate, offsets in order, no aborted read, every committed transaction whole', { skip: SKIP, timeout: 240_000 }, async () => {
  const report = await runJepsen({
    seed: SEED,
    schedule: { count: 3, coverKinds: true, holdMs: { min: 1000, max: 2000 }, quietMs: { min: 500, max: 1000 } },
    requireNetns: process.env['SAMSA_REQUIRE_NETNS'] !== undefined,
    log: (line) => console.log(`# ${line}`),
  });
  for (const line of formatReport(report)) console.log(`# ${line}`);
  const c = report.result.counts;
  assert.equal(report.faults.length, 3, 'every fault of the schedule was injected');
  assert.ok(c.ackedWrites > 0 && c.txnsCommitted > 0 && c.txnsAborted > 0 && c.recordsRead > 0, `operations were checked: ${JSON.stringify(c)}`);
  assert.deepEqual(report.unhealed, [], 'every ISR was full again after every fault');
  assert.deepEqual(report.result.anomalies, []);
});
