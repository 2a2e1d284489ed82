/** The transaction coordinator's broker keys, with Kafka's names and defaults. */
import { intProperty } from '../../cluster/config.js';

export interface TxnCoordinatorConfig {
  /** transaction.state.log.num.partitions: partitions of __transaction_state when it is created. */
  stateLogPartitions: number;
  /** transaction.state.log.segment.bytes. */
  stateLogSegmentBytes: number;
  /** transaction.max.timeout.ms: the longest transaction.timeout.ms a producer may ask for. */
  maxTimeoutMs: number;
  /** transaction.abort.timed.out.transaction.cleanup.interval.ms: how often expired transactions are aborted. */
  abortTimedOutIntervalMs: number;
  /** transactional.id.expiration.ms: how long an idle transactional id is remembered. */
  idExpirationMs: number;
  /** transaction.remove.expired.transaction.cleanup.interval.ms: how often idle ids are looked for. */
  removeExpiredIntervalMs: number;
  /** transaction.state.log.min.isr: min.insync.replicas of __transaction_state (Kafka default 2). */
  stateLogMinIsr: number;
  /** Bytes read at a time when loading a partition at start-up (Kafka's transaction.state.log.load.buffer.size). */
  loadBufferBytes: number;
}

export const TXN_COORDINATOR_DEFAULTS: Record<string, string> = {
  'transaction.state.log.num.partitions': '50',
  'transaction.state.log.segment.bytes': '104857600',
  'transaction.max.timeout.ms': '900000',
  'transaction.abort.timed.out.transaction.cleanup.interval.ms': '10000',
  'transactional.id.expiration.ms': '604800000',
  'transaction.remove.expired.transaction.cleanup.interval.ms': '3600000',
  'transaction.state.log.load.buffer.size': '5242880',
  'transaction.state.log.min.isr': '2',
};

export function txnCoordinatorConfig(raw: Record<string, string>): TxnCoordinatorConfig {
  const props = { ...TXN_COORDINATOR_DEFAULTS, ...raw };
  const int = (key: string, min: number): number => intProperty(props, key, min);
  return {
    stateLogPartitions: int('transaction.state.log.num.partitions', 1),
    stateLogSegmentBytes: int('transaction.state.log.segment.bytes', 1),
    maxTimeoutMs: int('transaction.max.timeout.ms', 1),
    abortTimedOutIntervalMs: int('transaction.abort.timed.out.transaction.cleanup.interval.ms', 1),
    idExpirationMs: int('transactional.id.expiration.ms', 1),
    removeExpiredIntervalMs: int('transaction.remove.expired.transaction.cleanup.interval.ms', 1),
    loadBufferBytes: int('transaction.state.log.load.buffer.size', 1),
    stateLogMinIsr: int('transaction.state.log.min.isr', 1),
  };
}
