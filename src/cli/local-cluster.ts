/**
 * A cluster on one machine, each part its own process: one etcd for the metadata and N brokers
 * (`samsa server start` with node.id, listeners, log.dirs and metadata.etcd.endpoints set). It is
 * what `samsa cluster start` runs, and what the cluster tests drive: a broker can be SIGKILLed,
 * stopped with SIGTERM (a controlled shutdown) and started again on its port and data.
 *
 * Layout of `dir`: `etcd/` (etcd's data) and `broker-<id>/` (each broker's log dir).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EtcdProcess, ETCD_INSTALL_HINT, findEtcd } from './etcd-process.js';

const MAIN = fileURLToPath(new URL('./main.js', import.meta.url));
const LISTENING = /listening on (\S+):(\d+)/;
const READY_TIMEOUT_MS = 30_000;

export interface LocalClusterOptions {
  brokers: number;
  dir: string;
  /** Broker i listens on basePort + i - 1; 0 picks free ports. */
  basePort: number;
  /** etcd's client port (its peer port is the next one); 0 picks free ports. */
  etcdPort: number;
  /** The host brokers listen on and advertise. */
  host?: string;
  /** A broker's own host, in place of `host` (e.g. an address inside a network namespace). */
  brokerHosts?: Record<number, string>;
  /** The address etcd listens on; 127.0.0.1 unless given. */
  etcdHost?: string;
  /** A command that runs a broker's process, before node's (e.g. `ip netns exec <ns>`). */
  brokerPrefix?: Record<number, string[]>;
  /** server.properties keys for every broker. */
  overrides?: Record<string, string>;
  /** Keys for one broker, laid over `overrides`. */
  brokerOverrides?: Record<number, Record<string, string>>;
  /** Extra environment for the broker processes. */
  env?: Record<string, string>;
  /** Every line a process writes, named `etcd` or `broker-<id>`. */
  onOutput?(source: string, line: string): void;
}

/** etcd is not on PATH: the sentence says how to install it. */
export class EtcdMissingError extends Error {
  override name = 'EtcdMissingError';
}

interface BrokerSlot {
  id: number;
  port: number;
  child: ChildProcess | null;
  exited: Promise<void>;
}

export class LocalCluster {
  private readonly slots = new Map<number, BrokerSlot>();

  private constructor(
    private readonly o: LocalClusterOptions,
    readonly etcd: EtcdProcess,
  ) {}

  static async start(o: LocalClusterOptions): Promise<LocalCluster> {
    const bin = findEtcd();
    if (bin === null) throw new EtcdMissingError(`etcd was not found on PATH; a Samsa cluster keeps its metadata in etcd: ${ETCD_INSTALL_HINT}.`);
    const clientPort = o.etcdPort === 0 ? await freePort() : o.etcdPort;
    const peerPort = o.etcdPort === 0 ? await freePort() : o.etcdPort + 1;
    await mkdir(o.dir, { recursive: true });
    const etcd = await EtcdProcess.start({ bin, host: o.etcdHost, dataDir: join(o.dir, 'etcd'), clientPort, peerPort, onLog: (l) => o.onOutput?.('etcd', l) });
    const c = new LocalCluster(o, etcd);
    try {
      for (let id = 1; id <= o.brokers; id++) {
        c.slots.set(id, { id, port: o.basePort === 0 ? await freePort() : o.basePort + id - 1, child: null, exited: Promise.resolve() });
      }
      // Started together: each one's start waits on etcd, not on the others.
      await Promise.all([...c.slots.keys()].map((id) => c.startBroker(id)));
    } catch (err) {
      await c.stop();
      throw err;
    }
    return c;
  }

  get host(): string {
    return this.o.host ?? '127.0.0.1';
  }

  get brokerIds(): number[] {
    return [...this.slots.keys()];
  }

  /** Every broker's host:port, comma-separated: a client's bootstrap servers. */
  get bootstrap(): string {
    return [...this.slots.values()].map((s) => this.address(s.id)).join(',');
  }

  /** Broker `id`'s host:port. */
  address(id: number): string {
    return `${this.brokerHost(id)}:${this.slot(id).port}`;
  }

  private brokerHost(id: number): string {
    return this.o.brokerHosts?.[id] ?? this.host;
  }

  port(id: number): number {
    return this.slot(id).port;
  }

  pid(id: number): number | null {
    return this.slot(id).child?.pid ?? null;
  }

  running(id: number): boolean {
    const c = this.slot(id).child;
    return c !== null && c.exitCode === null && c.signalCode === null;
  }

  dataDir(id: number): string {
    return join(this.o.dir, `broker-${id}`);
  }

  private slot(id: number): BrokerSlot {
    const s = this.slots.get(id);
    if (s === undefined) throw new Error(`there is no broker ${id} in this cluster (brokers ${this.brokerIds.join(', ')})`);
    return s;
  }

  /** Starts broker `id` (again) on its port and data; resolves once it is listening and registered. */
  async startBroker(id: number): Promise<void> {
    const s = this.slot(id);
    if (this.running(id)) return;
    const keys: Record<string, string> = {
      'node.id': String(id),
      listeners: `PLAINTEXT://${this.brokerHost(id)}:${s.port}`,
      'log.dirs': this.dataDir(id),
      'metadata.etcd.endpoints': this.etcd.endpoint,
      ...(this.o.overrides ?? {}),
      ...(this.o.brokerOverrides?.[id] ?? {}),
    };
    const args = [MAIN, 'server', 'start', ...Object.entries(keys).flatMap(([k, v]) => ['--override', `${k}=${v}`])];
    const [command, ...prefixArgs] = [...(this.o.brokerPrefix?.[id] ?? []), process.execPath];
    const child = spawn(command!, [...prefixArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(this.o.env ?? {}) } });
    s.child = child;
    s.exited = new Promise((r) => child.once('exit', () => r()));
    const source = `broker-${id}`;
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`broker ${id} did not start within ${READY_TIMEOUT_MS} ms:\n${output}`)), READY_TIMEOUT_MS);
      const onLine = (line: string): void => {
        output = (output + line + '\n').slice(-8000);
        this.o.onOutput?.(source, line);
        if (LISTENING.test(line)) {
          clearTimeout(timer);
          resolve();
        }
      };
      lines(child.stdout!, onLine);
      lines(child.stderr!, onLine);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`broker ${id} exited (${signal ?? `code ${code}`}) before it was listening:\n${output}`));
      });
    });
    try {
      await ready;
    } catch (err) {
      await this.signal(id, 'SIGKILL');
      throw err;
    }
  }

  /** Ends broker `id` abruptly (SIGKILL): no controlled shutdown, its etcd session times out. */
  kill(id: number): Promise<void> {
    return this.signal(id, 'SIGKILL');
  }

  /** SIGTERM: a controlled shutdown, leaderships move first. */
  stopBroker(id: number): Promise<void> {
    return this.signal(id, 'SIGTERM');
  }

  private async signal(id: number, sig: NodeJS.Signals): Promise<void> {
    const s = this.slot(id);
    if (this.running(id)) s.child!.kill(sig);
    await s.exited;
    s.child = null;
  }

  /** Stops every broker, one after another so each controlled shutdown has somewhere to move leaderships, then etcd. */
  async stop(): Promise<void> {
    for (const id of this.brokerIds) await this.stopBroker(id);
    await this.etcd.stop();
  }
}

function lines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let rest = '';
  stream.on('data', (d: Buffer) => {
    const parts = (rest + d.toString()).split('\n');
    rest = parts.pop()!;
    for (const p of parts) onLine(p);
  });
  stream.on('end', () => {
    if (rest !== '') onLine(rest);
  });
}

/**
 * A port free on 127.0.0.1 now, for a process that may be restarted on it: taken below the
 * kernel's ephemeral range (ip_local_port_range) when it can be, because a port from that range
 * can be handed to any outgoing connection while its process is down, and the restart would find
 * it in use. Falls back to a port the kernel picks.
 */
export async function freePort(): Promise<number> {
  const low = ephemeralLow();
  for (let i = 0; i < 20 && low > 10_000; i++) {
    const port = 10_000 + Math.floor(Math.random() * (low - 10_000));
    if (await bindable(port)) return port;
  }
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

/** The low end of the kernel's ephemeral port range (Linux); 0 when it cannot be read. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 0;
  } catch {
    return 0;
  }
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export { ETCD_INSTALL_HINT };
