/** A real etcd for cluster tests: started from PATH on free loopback ports, data in a temp dir. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EtcdProcess as Etcd, ETCD_INSTALL_HINT, findEtcd } from '../../src/cli/etcd-process.js';
import { freePort } from '../../src/cli/local-cluster.js';

export { freePort };

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
