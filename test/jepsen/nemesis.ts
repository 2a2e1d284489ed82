/**
 * Applies one fault of a schedule to a cluster of broker processes and heals it: waits until the
 * other brokers have noticed (the broker is out of every ISR of the topic), holds it, heals it,
 * and waits until every broker says every partition of every topic has its full ISR again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterProcesses } from '../helpers/cluster-processes.js';
import { Connection } from '../../src/client/connection.js';
import type { MetadataRequest, MetadataResponse } from '../../src/protocol/messages/03-metadata.js';
import type { Netns } from '../helpers/netns.js';
import { waitFor } from '../helpers/wait.js';
import type { Fault } from './schedule.js';

/** How long the others may take to notice a fault (broker.session.timeout.ms is 3 s in tests). */
const NOTICE_TIMEOUT_MS = 30_000;
/** How long a healed cluster may take to fill every ISR again; longer is a finding, reported, and the run goes on. */
const HEAL_TIMEOUT_MS = 60_000;

export interface FaultTiming {
  fault: Fault;
  /** From applying the fault to the broker being out of every ISR; null if that was not seen. */
  noticedMs: number | null;
  /** From healing to every ISR full; null if they were not all full within the heal timeout. */
  healedMs: number | null;
  /** What was still short when the heal timeout ran out: a finding (a replica that never catches up). */
  unhealed: string | null;
  /** When not healed: the faulted broker's last lines of output, as evidence. */
  evidence: string[];
}

/** How many of a broker's last lines of output a step that did not heal reports. */
const EVIDENCE_LINES = 12;

export class Nemesis {
  constructor(
    private readonly c: ClusterProcesses,
    private readonly topic: string,
    /** The namespaces of the brokers that can be cut off, by broker id. */
    private readonly netns: ReadonlyMap<number, Netns>,
  ) {}

  async apply(f: Fault): Promise<FaultTiming> {
    const start = Date.now();
    await this.inject(f);
    let noticedMs: number | null = null;
    try {
      await waitFor(`broker ${f.broker} to drop out of the ISRs of ${this.topic}`, () => this.outOfIsrs(f.broker), NOTICE_TIMEOUT_MS);
      noticedMs = Date.now() - start;
    } catch {
      // Held anyway: a fault the others never noticed is still a fault the clients met.
    }
    await sleep(f.holdMs);
    await this.heal(f);
    const healStart = Date.now();
    const unhealed = await this.waitFullIsrs(HEAL_TIMEOUT_MS);
    const evidence = unhealed === null ? [] : this.c.output().split('\n').filter((l) => l.startsWith(`[broker-${f.broker}]`)).slice(-EVIDENCE_LINES);
    return { fault: f, noticedMs, healedMs: unhealed === null ? Date.now() - healStart : null, unhealed, evidence };
  }

  private async inject(f: Fault): Promise<void> {
    if (f.kind === 'kill') await this.c.kill(f.broker);
    else if (f.kind === 'pause') this.signal(f.broker, 'SIGSTOP');
    else await this.ns(f.broker).cut();
  }

  private async heal(f: Fault): Promise<void> {
    if (f.kind === 'kill') await this.c.startBroker(f.broker);
    else if (f.kind === 'pause') this.signal(f.broker, 'SIGCONT');
    else await this.ns(f.broker).heal();
  }

  /** Undoes whatever may still be in force (a run that failed half-way): every broker running and reachable. */
  async healAll(): Promise<void> {
    for (const ns of this.netns.values()) await ns.heal().catch(() => undefined);
    for (const id of this.c.brokerIds) {
      const pid = this.c.pid(id);
      if (pid !== null) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // Gone already.
        }
      }
      if (!this.c.running(id)) await this.c.startBroker(id);
    }
  }

  private signal(id: number, sig: 'SIGSTOP' | 'SIGCONT'): void {
    const pid = this.c.pid(id);
    if (pid === null) throw new Error(`broker ${id} has no process to ${sig}`);
    process.kill(pid, sig);
  }

  private ns(id: number): Netns {
    const ns = this.netns.get(id);
    if (ns === undefined) throw new Error(`broker ${id} is not in a network namespace of its own and cannot be cut off`);
    return ns;
  }

  /** Whether every other broker sees `id` out of every ISR of the topic and leading none of it. */
  private async outOfIsrs(id: number): Promise<boolean> {
    try {
      for (const other of this.c.brokerIds.filter((b) => b !== id)) {
        const t = (await brokerView(this.c.address(other))).topics.find((x) => x.name === this.topic);
        if (t === undefined || !t.partitions.every((p) => p.leaderId !== id && p.leaderId >= 0 && !p.isrNodes.includes(id))) return false;
      }
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Waits until every partition of every topic (the internal ones too) is led, with all its
   * replicas in sync, as every broker sees it: a broker just resumed or reconnected answers from
   * the image it had before until its watch catches up, as a Kafka broker's metadata cache lags.
   * Null once they are; what is still short when `timeoutMs` runs out otherwise.
   */
  async waitFullIsrs(timeoutMs: number): Promise<string | null> {
    let last = 'no broker answered';
    const full = async (address: string): Promise<boolean> => {
      const m = await brokerView(address);
      const short = m.topics.flatMap((t) => t.partitions.filter((p) => p.leaderId < 0 || p.isrNodes.length < p.replicaNodes.length).map((p) => `${t.name}-${p.partitionIndex} leader ${p.leaderId} isr [${p.isrNodes.join(',')}] of replicas [${p.replicaNodes.join(',')}]`));
      last = `as broker ${address} sees it (live brokers [${m.brokers.map((b) => b.nodeId).sort().join(',')}]): ${short.slice(0, 5).join('; ') || `no ${this.topic} yet`}`;
      return m.topics.some((t) => t.name === this.topic) && short.length === 0;
    };
    try {
      await waitFor('every ISR to be full again', async () => {
        try {
          for (const id of this.c.brokerIds) if (!(await full(this.c.address(id)))) return false;
          return true;
        } catch {
          return false;
        }
      }, timeoutMs);
      return null;
    } catch {
      return `not every ISR full ${timeoutMs / 1000} s after healing, ${last}`;
    }
  }
}

/** How long one broker may take to answer a Metadata request before it counts as not answering. */
const VIEW_TIMEOUT_MS = 5000;

/** Broker `address`'s own view of the cluster (every topic), asked of it alone, not of whichever broker a client picks. */
async function brokerView(address: string): Promise<MetadataResponse> {
  const colon = address.lastIndexOf(':');
  const conn = await Connection.connect({ host: address.slice(0, colon), port: Number(address.slice(colon + 1)), clientId: 'jepsen-nemesis', requestTimeoutMs: VIEW_TIMEOUT_MS, connectTimeoutMs: VIEW_TIMEOUT_MS });
  try {
    const request: MetadataRequest = { topics: null, allowAutoTopicCreation: false, includeClusterAuthorizedOperations: false, includeTopicAuthorizedOperations: false };
    return await conn.request<MetadataRequest, MetadataResponse>(3, conn.versionFor(3, 9), request);
  } finally {
    await conn.close();
  }
}
