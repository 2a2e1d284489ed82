/**
 * A single-member etcd in a child process, as `samsa cluster start` runs one for a local
 * cluster's metadata: found on PATH, listening on loopback, healthy before it is handed out.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What to tell a user who has no etcd. */
export const ETCD_INSTALL_HINT = 'install it (Debian/Ubuntu: sudo apt-get install etcd-server; macOS: brew install etcd) or put the etcd binary on PATH';

const HEALTHY_TIMEOUT_MS = 20_000;

/** The etcd binary on PATH, or null. */
export function findEtcd(path = process.env['PATH'] ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'etcd');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

export interface EtcdOptions {
  bin: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  /** The address etcd listens on for clients and its peer; 127.0.0.1 unless given. */
  host?: string;
  /** Each line etcd writes to stderr (its log). */
  onLog?(line: string): void;
}

export class EtcdProcess {
  private child: ChildProcess | null = null;
  private tail = '';

  private constructor(private readonly o: EtcdOptions) {}

  static async start(o: EtcdOptions): Promise<EtcdProcess> {
    const p = new EtcdProcess(o);
    await p.launch();
    return p;
  }

  get endpoint(): string {
    return `http://${this.o.host ?? '127.0.0.1'}:${this.o.clientPort}`;
  }

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    const peer = `http://${this.o.host ?? '127.0.0.1'}:${this.o.peerPort}`;
    const c = spawn(this.o.bin, [
      '--name', 'samsa', '--data-dir', this.o.dataDir,
      '--listen-client-urls', this.endpoint, '--advertise-client-urls', this.endpoint,
      '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
      '--initial-cluster', `samsa=${peer}`, '--log-level', 'error',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = c;
    this.tail = '';
    c.stderr!.on('data', (d: Buffer) => {
      const text = d.toString();
      this.tail = (this.tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim() !== '') this.o.onLog?.(line);
    });
    const deadline = Date.now() + HEALTHY_TIMEOUT_MS;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null) throw new Error(`etcd exited (code ${c.exitCode}) before it was healthy: ${this.tail.trim()}`);
      if (await healthy(this.endpoint)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`etcd did not become healthy on ${this.endpoint} within ${HEALTHY_TIMEOUT_MS} ms: ${this.tail.trim()}`);
      }
      await sleep(20);
    }
  }

  /** SIGTERM (or another signal) and wait for the exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    this.child = null;
    if (c === null || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    await exited;
  }

  /** Starts it again on the same ports and data. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(2000) });
    return r.ok && ((await r.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}
