/** A real etcd for cluster tests: started from PATH on free loopback ports, data in a temp dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdProcess as Etcd, ETCD_INSTALL_HINT, findEtcd } from '../../src/cli/etcd-process.js';
import { createServer } from 'node:net';
import { freePort } from '../../src/cli/local-cluster.js';

export { freePort };

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * The first of `n` consecutive free ports (a command that takes a base port, such as
 * `samsa cluster start --base-port`). Drawn below Linux's ephemeral range (32768 and up), where
 * other tests' outgoing connections and port-0 listeners do not land.
 */
export async function freePortRun(n: number): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 12_000);
    let ok = true;
    for (let i = 0; i < n && ok; i++) ok = await bindable(base + i);
    if (ok) return base;
  }
  throw new Error(`no run of ${n} free ports found between 20000 and 32767`);
}

export interface EtcdProcess {
  endpoints: string[];
  dataDir: string;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  /** SIGKILL and wait. */
  kill(): Promise<void>;
  /** Starts it again on the same ports and data. */
  restart(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startEtcd(): Promise<EtcdProcess> {
  const bin = findEtcd();
  if (bin === null) throw new Error(`etcd is not installed: ${ETCD_INSTALL_HINT}`);
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-etcd-'));
  const etcd = await Etcd.start({ bin, dataDir: join(dataDir, 'etcd'), clientPort: await freePort(), peerPort: await freePort() });
  return {
    endpoints: [etcd.endpoint],
    dataDir,
    stop: () => etcd.stop('SIGTERM'),
    kill: () => etcd.stop('SIGKILL'),
    restart: () => etcd.restart(),
    destroy: async () => {
      await etcd.stop('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
