/**
 * AddPartitionsToTxn v5 from a partition leader to the transaction coordinator of a producer on
 * another broker (Kafka's AddPartitionsToTxnManager, KIP-890): before a transactional batch is
 * appended, the leader verifies that its partition is in the producer's transaction (VerifyOnly)
 * or, for a transactions-v2 producer, adds it. One connection per coordinator, one request on it
 * at a time; a connection that fails is dropped and the next request connects again. What it
 * answers, or NETWORK_EXCEPTION when the coordinator could not be reached, is per partition.
 */
import type { Logger } from '../util/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/messages/24-add-partitions-to-txn.js';
import { PeerAuthenticationError, PeerFailures, connectToPeer, disconnectUnreachable, type PeerAddressing, type PeerConnection } from './peer-connection.js';

export interface TxnPartitionsRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  partitions: Array<{ topic: string; partition: number }>;
  /** True: only check (KIP-890 part 1); false: add them (transactions v2). */
  verifyOnly: boolean;
}

export interface TxnCoordinatorChannelOptions extends PeerAddressing {
  nodeId: number;
  logger: Logger;
  /** Connect and request timeout (request.timeout.ms). */
  timeoutMs?: number;
}

const ADD_PARTITIONS_TO_TXN = 24;
const VERSION = 5;

export class TxnCoordinatorChannels {
  private readonly links = new Map<number, Link>();
  private closed = false;
  private readonly unsubscribe: () => void;

  constructor(private readonly o: TxnCoordinatorChannelOptions) {
    this.unsubscribe = disconnectUnreachable(o.reach, this.links);
  }

  /** The coordinator's error for each partition of `r`, in order. */
  send(coordinatorId: number, r: TxnPartitionsRequest): Promise<number[]> {
    if (this.closed) return Promise.resolve(r.partitions.map(() => ErrorCode.NETWORK_EXCEPTION));
    let link = this.links.get(coordinatorId);
    if (link === undefined) this.links.set(coordinatorId, (link = new Link(coordinatorId, this.o)));
    return link.send(r);
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    for (const l of this.links.values()) l.disconnect();
    this.links.clear();
  }
}

class Link {
  private conn: PeerConnection | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly refusals: PeerFailures;

  constructor(
    private readonly coordinatorId: number,
    private readonly o: TxnCoordinatorChannelOptions,
  ) {
    this.refusals = new PeerFailures(o.logger, coordinatorId, 'cannot log in to verify transactions', 'logged in to verify transactions again');
  }

  disconnect(): void {
    this.conn?.close();
    this.conn = null;
  }

  send(r: TxnPartitionsRequest): Promise<number[]> {
    const run = this.queue.then(() => this.sendNow(r));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async sendNow(r: TxnPartitionsRequest): Promise<number[]> {
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    let resp: AddPartitionsToTxnResponse;
    try {
      if (this.conn === null || this.conn.closed) this.conn = await connectToPeer(this.coordinatorId, this.o, `samsa-txn-verify-${this.o.nodeId}`, timeoutMs);
      this.refusals.succeeded();
      resp = await this.conn.request<AddPartitionsToTxnResponse>(ADD_PARTITIONS_TO_TXN, VERSION, requestOf(r), timeoutMs);
    } catch (err) {
      this.disconnect();
      if (err instanceof PeerAuthenticationError) this.refusals.failed(err, Date.now(), 0);
      else this.o.logger.debug('AddPartitionsToTxn to the transaction coordinator failed', { coordinator: this.coordinatorId, err: (err as Error).message });
      return r.partitions.map(() => ErrorCode.NETWORK_EXCEPTION);
    }
    if (resp.errorCode !== ErrorCode.NONE) return r.partitions.map(() => resp.errorCode);
    const codes = new Map<string, number>();
    for (const t of resp.resultsByTransaction)
      if (t.transactionalId === r.transactionalId)
        for (const tr of t.topicResults) for (const p of tr.resultsByPartition) codes.set(`${tr.name}\0${p.partitionIndex}`, p.partitionErrorCode);
    return r.partitions.map((p) => codes.get(`${p.topic}\0${p.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  }
}

function requestOf(r: TxnPartitionsRequest): AddPartitionsToTxnRequest {
  const topics = new Map<string, number[]>();
  for (const p of r.partitions) {
    let list = topics.get(p.topic);
    if (list === undefined) topics.set(p.topic, (list = []));
    list.push(p.partition);
  }
  return {
    transactions: [{
      transactionalId: r.transactionalId, producerId: r.producerId, producerEpoch: r.producerEpoch, verifyOnly: r.verifyOnly,
      topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
    }],
    v3AndBelowTransactionalId: '', v3AndBelowProducerId: -1, v3AndBelowProducerEpoch: -1, v3AndBelowTopics: [],
  };
}
