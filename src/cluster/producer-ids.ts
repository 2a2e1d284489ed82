/**
 * Producer ids for InitProducerId, handed out from blocks reserved durably in the metadata store
 * (as Kafka's controller hands out blocks of 1000), so no id is ever given twice, even across
 * restarts; ids left in a block when the broker stops are skipped.
 */
import { assert } from '../util/assert.js';

/** Kafka's block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;

export interface ProducerIdSource {
  allocate(): Promise<number>;
}

export interface ProducerIdBlockStore {
  allocateProducerIdBlock(size: number): Promise<number>;
}

export class ProducerIdManager implements ProducerIdSource {
  private next = 0;
  private end = 0;
  private fetching: Promise<void> | null = null;

  constructor(
    private readonly store: ProducerIdBlockStore,
    private readonly blockSize = PRODUCER_ID_BLOCK_SIZE,
  ) {
    assert(blockSize > 0, 'producer id block size must be positive');
  }

  async allocate(): Promise<number> {
    while (this.next >= this.end) {
      this.fetching ??= this.store.allocateProducerIdBlock(this.blockSize).then(
        (start) => {
          this.next = start;
          this.end = start + this.blockSize;
          this.fetching = null;
        },
        (err: unknown) => {
          this.fetching = null;
          throw err;
        },
      );
      await this.fetching;
    }
    return this.next++;
  }
}
