/**
 * What an idempotent producer remembers: its producer id and epoch from InitProducerId, and the
 * next sequence number per partition. A batch takes its base sequence when it is first packed and
 * keeps it through every retry, so the broker can tell a retry from a new batch and write it once.
 * A new epoch starts every partition at sequence 0. An idempotent (non-transactional) producer
 * bumps its epoch itself, as Kafka's Java client does (KIP-360): the broker takes a higher epoch
 * with sequence 0 as a fresh start; only at the highest epoch does it need a new producer id.
 */
import { assert } from '../util/assert.js';

/** Sequence numbers are int32 and wrap to 0 after this, as in Kafka. */
export const SEQUENCE_MAX = 2_147_483_647;
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Epochs are int16; an idempotent producer at this epoch takes a new producer id instead of a bump. */
export const PRODUCER_EPOCH_MAX = 32_767;

export interface ProducerIdAndEpoch {
  producerId: number;
  producerEpoch: number;
}

/** The base sequence after `count` records starting at `base`, with Kafka's wrap at int32 max. */
export function sequenceAfter(base: number, count: number): number {
  assert(base >= 0 && base <= SEQUENCE_MAX && count >= 0, 'sequence out of range');
  const next = base + count;
  return next > SEQUENCE_MAX ? next - SEQUENCE_MAX - 1 : next;
}

export class ProducerState {
  private identity: ProducerIdAndEpoch = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
  private readonly nextSequences = new Map<string, number>();

  get producerId(): number {
    return this.identity.producerId;
  }

  get producerEpoch(): number {
    return this.identity.producerEpoch;
  }

  get hasProducerId(): boolean {
    return this.identity.producerId >= 0;
  }

  /** Takes a new id or epoch; every partition starts again at sequence 0. */
  setIdentity(next: ProducerIdAndEpoch): void {
    assert(next.producerId >= 0 && next.producerEpoch >= 0, 'InitProducerId gave no producer id');
    this.identity = { ...next };
    this.nextSequences.clear();
  }

  /** The next epoch of the same producer id, sequences from 0; false at the highest epoch (then reset()). */
  bumpEpoch(): boolean {
    assert(this.hasProducerId, 'no producer id to bump');
    if (this.identity.producerEpoch >= PRODUCER_EPOCH_MAX) return false;
    this.setIdentity({ producerId: this.identity.producerId, producerEpoch: this.identity.producerEpoch + 1 });
    return true;
  }

  /** Forgets the id, so the next send asks for a new one. */
  reset(): void {
    this.identity = { producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH };
    this.nextSequences.clear();
  }

  /** The base sequence for a new batch of `count` records to `topic`-`partition`; advances past it. */
  takeSequence(topic: string, partition: number, count: number): number {
    assert(count > 0, 'a batch has at least one record');
    const key = `${topic}\u0000${partition}`;
    const base = this.nextSequences.get(key) ?? 0;
    this.nextSequences.set(key, sequenceAfter(base, count));
    return base;
  }

  /** The sequence the next batch to a partition would get (for tests and diagnostics). */
  peekSequence(topic: string, partition: number): number {
    return this.nextSequences.get(`${topic}\u0000${partition}`) ?? 0;
  }
}
