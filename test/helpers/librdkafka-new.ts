/**
 * A current librdkafka (2.12+, for the KIP-848 consumer protocol) under Debian's confluent-kafka:
 * `npm run fetch:librdkafka` builds it into .cache/librdkafka (.ci/run does), and Python loads it
 * through LD_LIBRARY_PATH. A test that needs it fails, naming that command, when it is missing.
 */
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run, SYSTEM_PYTHON, type RunResult } from './broker.js';

const DIR = fileURLToPath(new URL('../../../.cache/librdkafka/', import.meta.url));

/** Runs a Python script with confluent-kafka on the current librdkafka; args are sys.argv[1…]. */
export async function runNewRdkafkaPython(script: string, args: string[], opts: { timeoutMs?: number } = {}): Promise<RunResult> {
  try {
    await access(`${DIR}librdkafka.so.1`);
  } catch {
    throw new Error(`no current librdkafka at ${DIR}: run \`npm run fetch:librdkafka\` (it builds the source @confluentinc/kafka-javascript ships)`);
  }
  return run(SYSTEM_PYTHON, ['-c', script, ...args], { env: { LD_LIBRARY_PATH: DIR }, ...opts });
}
