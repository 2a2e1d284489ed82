/** A real etcd for cluster tests: started from PATH on free loopback ports, data in a temp dir. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './wait.js';

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

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function etcdBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v etcd'], { encoding: 'utf8' }).stdout.trim();
  if (found === '') throw new Error('etcd is not installed: apt-get install etcd-server (Debian/Ubuntu), or put etcd on PATH');
  return found;
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/health`);
    return r.ok && ((await r.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

export async function startEtcd(): Promise<EtcdProcess> {
  const bin = etcdBinary();
  const dataDir = await mkdtemp(join(tmpdir(), 'samsa-etcd-'));
  const clientPort = await freePort();
  const peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    const c = spawn(bin, [
      '--name', 'samsa-test', '--data-dir', join(dataDir, 'etcd'),
      '--listen-client-urls', endpoint, '--advertise-client-urls', endpoint,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `samsa-test=http://127.0.0.1:${peerPort}`, '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child = c;
    await waitFor(`etcd to answer on ${endpoint} (${stderr})`, async () => {
      if (c.exitCode !== null) throw new Error(`etcd exited with ${c.exitCode}: ${stderr}`);
      return healthy(endpoint);
    }, 20_000);
  };
  const end = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    child = null;
    if (c === null || c.exitCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await exited;
  };
  await launch();
  return {
    endpoints: [endpoint],
    dataDir,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    restart: async () => {
      await end('SIGTERM');
      await launch();
    },
    destroy: async () => {
      await end('SIGKILL');
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
