/**
 * `npm run soak -- --minutes N --seed S`: the long Jepsen-style run. A seeded schedule of kills,
 * pauses and network partitions runs against etcd and three broker processes for N minutes under
 * idempotent and transactional producers and read_committed consumers, then the checker reads the
 * history. It prints the seed, each fault as applied, progress lines and a summary (faults by
 * kind, operations, anomalies by class with examples, faults after which the cluster never got
 * every ISR full again), and exits 1 when it found any, so that a failure is replayed from its
 * seed: the same seed gives the same faults in the same order.
 *
 * Partitions need a network namespace (root and iproute2); without one the run says so and
 * injects kills and pauses only, unless SAMSA_REQUIRE_NETNS is set.
 */
import { parseArgs } from 'node:util';
import { formatReport, runJepsen } from '../test/jepsen/run.js';

const USAGE = 'usage: npm run soak -- [--minutes N] [--seed S]  (N: minutes of faults, a number above 0, 5 if not given; S: a whole number from 0 to 4294967295, chosen at random and printed if not given)';
/** Faults are drawn well beyond what N minutes can hold; the run stops starting them when time is up. */
const FAULTS_PER_MINUTE_MAX = 30;

function fail(sentence: string): never {
  process.stderr.write(`${sentence}\n${USAGE}\n`);
  process.exit(2);
}

function parse(): { minutes: number; seed: number } {
  let values: { minutes?: string; seed?: string; help?: boolean };
  try {
    ({ values } = parseArgs({ options: { minutes: { type: 'string' }, seed: { type: 'string' }, help: { type: 'boolean' } }, strict: true }));
  } catch (err) {
    fail(`soak: ${(err as Error).message}`);
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const minutes = values.minutes === undefined ? 5 : Number(values.minutes);
  if (!Number.isFinite(minutes) || minutes <= 0) fail(`soak: --minutes must be a number of minutes above 0, not ${JSON.stringify(values.minutes)}.`);
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) fail(`soak: --seed must be a whole number from 0 to 4294967295, not ${JSON.stringify(values.seed)}.`);
  return { minutes, seed };
}

const { minutes, seed } = parse();
const t0 = Date.now();
const log = (line: string): void => {
  process.stdout.write(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s ${new Date().toISOString().slice(11, 23)}] ${line}\n`);
};
log(`soak: seed ${seed}, ${minutes} minutes of faults (replay: npm run soak -- --minutes ${minutes} --seed ${seed})`);
try {
  const report = await runJepsen({
    seed,
    minutes,
    schedule: { count: Math.ceil(minutes * FAULTS_PER_MINUTE_MAX) + 3, coverKinds: true },
    requireNetns: process.env['SAMSA_REQUIRE_NETNS'] !== undefined,
    log,
  });
  process.stdout.write('--- summary\n');
  for (const line of formatReport(report)) process.stdout.write(`${line}\n`);
  process.exit(report.result.anomalies.length === 0 && report.unhealed.length === 0 ? 0 : 1);
} catch (err) {
  process.stdout.write(`--- the soak could not finish: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
