/**
 * etcd and N broker processes for cluster tests, on free loopback ports with data in a temp dir:
 * `kill(id)` is a SIGKILL, `stopBroker(id)` a SIGTERM (controlled shutdown), `startBroker(id)`
 * brings one back on its port and data; `output()` holds the processes' last lines, for failures.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalCluster, type LocalClusterOptions } from '../../src/cli/local-cluster.js';

export interface ClusterProcesses extends LocalCluster {
  /** The last lines every process wrote, prefixed with its name. */
  output(): string;
  /** Stops everything and removes the data. */
  destroy(): Promise<void>;
}

/** Quick failure detection for tests: sessions of 3 s instead of Kafka's 9 s. */
export const FAST_CLUSTER: Record<string, string> = {
  'broker.session.timeout.ms': '3000',
  'replica.lag.time.max.ms': '5000',
};

export async function startClusterProcesses(opts: Partial<LocalClusterOptions> = {}): Promise<ClusterProcesses> {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-'));
  let lines: string[] = [];
  const cluster = await LocalCluster.start({
    brokers: 3,
    basePort: 0,
    etcdPort: 0,
    dir,
    ...opts,
    overrides: { ...FAST_CLUSTER, ...(opts.overrides ?? {}) },
    onOutput: (source, line) => {
      lines.push(`[${source}] ${line}`);
      if (lines.length > 400) lines = lines.slice(-300);
      opts.onOutput?.(source, line);
    },
  });
  return Object.assign(cluster, {
    output: () => lines.join('\n'),
    destroy: async () => {
      // SIGKILL: a test's cluster needs no controlled shutdown, only to be gone.
      for (const id of cluster.brokerIds) await cluster.kill(id);
      await cluster.etcd.stop('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** Runs `fn` on a fresh cluster, adds the processes' last lines to a failure, and destroys it. */
export async function withClusterProcesses(fn: (c: ClusterProcesses) => Promise<void>, opts: Partial<LocalClusterOptions> = {}): Promise<void> {
  const c = await startClusterProcesses(opts);
  try {
    await fn(c);
  } catch (err) {
    (err as Error).message += `\n--- cluster output (last lines):\n${c.output().split('\n').filter((l) => !l.startsWith('[etcd]')).slice(-60).join('\n')}`;
    throw err;
  } finally {
    await c.destroy();
  }
}
