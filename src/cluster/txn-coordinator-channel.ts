/**
 * AddPartitionsToTxn v5 from a partition leader to the transaction coordinator of a producer on
 * another broker (Kafka's AddPartitionsToTxnManager, KIP-890): before a transactional batch is
 * appended, the leader verifies that its partition is in the producer's transaction (VerifyOnly)
 * or, for a transactions-v2 producer, adds it. One connection per coordinator, one request on it
 * at a time; a connection that fails is dropped and the next request connects again. What it
 * answers, or NETWORK_EXCEPTION when the coordinator could not be reached, is per partition.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { AddPartitionsToTxnRequest, AddPartitionsToTxnResponse } from '../protocol/messages/24-add-partitions-to-txn.js';
import { PeerLinks, type PeerLinkOptions } from './peer-link.js';

export interface TxnPartitionsRequest {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  partitions: Array<{ topic: string; partition: number }>;
  /** True: only check (KIP-890 part 1); false: add them (transactions v2). */
  verifyOnly: boolean;
}

export type TxnCoordinatorChannelOptions = PeerLinkOptions;

const ADD_PARTITIONS_TO_TXN = 24;
const VERSION = 5;

export class TxnCoordinatorChannels {
  private readonly links: PeerLinks;

  constructor(o: TxnCoordinatorChannelOptions) {
    this.links = new PeerLinks(o, {
      clientId: 'samsa-txn-verify', refused: 'cannot log in to verify transactions', again: 'logged in to verify transactions again',
      failed: 'AddPartitionsToTxn to the transaction coordinator failed',
    });
  }

  /** The coordinator's error for each partition of `r`, in order. */
  async send(coordinatorId: number, r: TxnPartitionsRequest): Promise<number[]> {
    if (this.links.closed) return r.partitions.map(() => ErrorCode.NETWORK_EXCEPTION);
    const resp = await this.links.to(coordinatorId).request<AddPartitionsToTxnResponse>(ADD_PARTITIONS_TO_TXN, VERSION, requestOf(r));
    if (resp === null) return r.partitions.map(() => ErrorCode.NETWORK_EXCEPTION);
    if (resp.errorCode !== ErrorCode.NONE) return r.partitions.map(() => resp.errorCode);
    const codes = new Map<string, number>();
    for (const t of resp.resultsByTransaction)
      if (t.transactionalId === r.transactionalId)
        for (const tr of t.topicResults) for (const p of tr.resultsByPartition) codes.set(`${tr.name}\0${p.partitionIndex}`, p.partitionErrorCode);
    return r.partitions.map((p) => codes.get(`${p.topic}\0${p.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  close(): void {
    this.links.close();
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
