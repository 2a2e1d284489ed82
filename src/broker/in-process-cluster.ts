/**
 * A cluster of brokers inside one Node process, for tests: `await Cluster.start({ brokers: 3 })`
 * gives three real brokers on loopback ports, each with its own data directory, sharing cluster
 * metadata through an in-memory store (as they would share etcd). `kill(id)` ends a broker
 * abruptly (its session ends, no controlled shutdown), `restart(id)` brings it back on the same
 * port and data, and `isolate(id)` / `heal(id)` cut it off the metadata store and heal it.
 *
 * `partition(a, b)` cuts the network between brokers, both ways, while each still reaches the
 * metadata store: every broker of `a` loses every broker of `b` (each side a broker id or a list,
 * e.g. `partition(1, [2, 3])` cuts broker 1 off the other two). Replica fetchers across the cut
 * cannot connect and their live connections end, so followers fall behind and leave the ISR after
 * replica.lag.time.max.ms, as in a real network partition. `healPartition(a, b)` restores those
 * links (`healPartition()` all of them); `reachable(a, b)` tells whether a link is up. Cuts hold
 * across `kill` and `restart`. Clients still reach every broker.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Broker } from './broker.js';
import { MemoryMetadataBackend, type MemoryMetadataStore } from '../cluster/store/memory-store.js';
import type { Logger } from '../util/logger.js';
import type { PeerReachability } from '../cluster/peer-connection.js';

export interface ClusterOptions {
  brokers?: number;
  /** server.properties keys for every broker. */
  config?: Record<string, string>;
  /** Per broker id, keys laid over `config` (e.g. broker.rack). */
  brokerConfig?: Record<number, Record<string, string>>;
  logger?: Logger;
}

interface Member {
  id: number;
  port: number;
  dataDir: string;
  broker: Broker | null;
  store: MemoryMetadataStore | null;
}

export class Cluster {
  private constructor(
    private readonly opts: ClusterOptions,
    private readonly backend: MemoryMetadataBackend,
    private readonly clusterId: string,
    private readonly dir: string,
    private readonly members: Map<number, Member>,
  ) {}

  static async start(opts: ClusterOptions = {}): Promise<Cluster> {
    const n = opts.brokers ?? 3;
    const dir = await mkdtemp(join(tmpdir(), 'samsa-cluster-'));
    const clusterId = randomBytes(16).toString('base64url').slice(0, 22);
    const members = new Map<number, Member>();
    for (let id = 1; id <= n; id++) members.set(id, { id, port: 0, dataDir: join(dir, `broker-${id}`), broker: null, store: null });
    const cluster = new Cluster(opts, new MemoryMetadataBackend(), clusterId, dir, members);
    try {
      for (const id of members.keys()) await cluster.startBroker(id);
    } catch (err) {
      await cluster.stop();
      throw err;
    }
    return cluster;
  }

  private async startBroker(id: number): Promise<void> {
    const m = this.members.get(id)!;
    const store = this.backend.store();
    m.store = store;
    const broker = await Broker.start({
      port: m.port,
      dataDir: m.dataDir,
      config: { 'node.id': String(id), ...(this.opts.config ?? {}), ...(this.opts.brokerConfig?.[id] ?? {}) },
      logger: this.opts.logger,
      metadata: { store, clusterId: this.clusterId },
      peers: this.peersOf(id),
    });
    m.broker = broker;
    m.port = broker.port;
  }

  /** The broker with this id (throws if it is not running). */
  broker(id: number): Broker {
    const b = this.members.get(id)?.broker;
    if (b == null) throw new Error(`broker ${id} is not running`);
    return b;
  }

  get brokerIds(): number[] {
    return [...this.members.keys()];
  }

  /** The running brokers' `host:port`, comma-separated, for a client's bootstrap servers. */
  get bootstrap(): string {
    return [...this.members.values()].filter((m) => m.broker !== null).map((m) => m.broker!.bootstrap).join(',');
  }

  /** Ends a broker abruptly: its session ends at once and it stops without moving its leaderships. */
  async kill(id: number): Promise<void> {
    const m = this.members.get(id);
    if (m?.broker == null) return;
    this.backend.expire(id);
    m.store?.disconnect();
    const b = m.broker;
    m.broker = null;
    await b.stop({ controlled: false });
  }

  /** A controlled shutdown, as SIGTERM gives a server. */
  async stopBroker(id: number): Promise<void> {
    const m = this.members.get(id);
    if (m?.broker == null) return;
    const b = m.broker;
    m.broker = null;
    await b.stop();
  }

  /** Starts a stopped or killed broker again, on its port and data directory. */
  async restart(id: number): Promise<void> {
    const m = this.members.get(id);
    if (m === undefined) throw new Error(`no broker ${id}`);
    if (m.broker !== null) await this.kill(id);
    await this.startBroker(id);
  }

  /** Cuts a broker off the metadata store: its session ends (others take its leaderships) and its metadata writes fail. */
  isolate(id: number): void {
    this.members.get(id)?.store?.disconnect();
  }

  heal(id: number): void {
    this.members.get(id)?.store?.reconnect();
  }

  /** Links cut between brokers, as `low-high` id pairs. */
  private readonly cuts = new Set<string>();
  private readonly cutListeners = new Set<() => void>();

  private peersOf(id: number): PeerReachability {
    return {
      canReach: (peer) => this.reachable(id, peer),
      subscribe: (changed) => {
        this.cutListeners.add(changed);
        return () => void this.cutListeners.delete(changed);
      },
    };
  }

  /**
   * Cuts the network between the brokers of `a` and those of `b`, both ways; each keeps reaching
   * the metadata store and the clients.
   */
  partition(a: number | number[], b: number | number[]): void {
    for (const [x, y] of this.links(a, b)) this.cuts.add(linkKey(x, y));
    for (const changed of [...this.cutListeners]) changed();
  }

  /** Restores the links between `a` and `b` that `partition` cut; without arguments, every link. */
  healPartition(a?: number | number[], b?: number | number[]): void {
    if (a === undefined || b === undefined) this.cuts.clear();
    else for (const [x, y] of this.links(a, b)) this.cuts.delete(linkKey(x, y));
    for (const changed of [...this.cutListeners]) changed();
  }

  /** Whether broker `a` can reach broker `b` (false only across a cut). */
  reachable(a: number, b: number): boolean {
    return a === b || !this.cuts.has(linkKey(a, b));
  }

  private links(a: number | number[], b: number | number[]): Array<[number, number]> {
    const as = Array.isArray(a) ? a : [a];
    const bs = Array.isArray(b) ? b : [b];
    for (const id of [...as, ...bs]) if (!this.members.has(id)) throw new Error(`no broker ${id}`);
    const out: Array<[number, number]> = [];
    for (const x of as) for (const y of bs) if (x !== y) out.push([x, y]);
    return out;
  }

  private view: MemoryMetadataStore | null = null;

  /** The metadata as the cluster's store holds it (for assertions). */
  get metadata(): MemoryMetadataStore {
    return (this.view ??= this.backend.store());
  }

  async stop(): Promise<void> {
    for (const m of this.members.values()) {
      const b = m.broker;
      m.broker = null;
      if (b !== null) await b.stop({ controlled: false }).catch(() => undefined);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function linkKey(a: number, b: number): string {
  return a < b ? `${a}-${b}` : `${b}-${a}`;
}
