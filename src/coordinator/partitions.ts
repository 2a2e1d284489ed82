/**
 * Which partitions of a coordinator's internal topic this broker can serve: none while the topic
 * does not exist (asking creates it), then each partition loading → ready (or failed). Shared by
 * the group and transaction coordinators, whose keys map to partitions by Kafka's hash.
 */
import { assert } from '../util/assert.js';
import type { Logger } from '../util/logger.js';
import { ErrorCode } from '../protocol/errors.js';
import type { CoordinatorLog, InternalTopicSpec } from './internal-topic.js';

export type PartitionState = 'loading' | 'ready' | 'failed';

export interface CoordinatorPartitionsOptions {
  log: CoordinatorLog;
  /** Partition count and segment size to create the topic with. */
  spec: () => InternalTopicSpec;
  /** The partition of a key (Kafka's `Utils.abs(key.hashCode) % count`). */
  partitionOf: (key: string, count: number) => number;
  topicName: string;
  logger: Logger;
}

export class CoordinatorPartitions {
  private states: PartitionState[] | null = null;
  private creating: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly opts: CoordinatorPartitionsOptions) {}

  /** The partition count, or null while the topic does not exist. */
  get count(): number | null {
    return this.states?.length ?? null;
  }

  /** True while some partition is still loading (ListGroups reports it). */
  get isLoading(): boolean {
    return this.states?.includes('loading') ?? false;
  }

  /** Marks every partition of an existing topic as loading. */
  startLoading(count: number): void {
    this.states = new Array<PartitionState>(count).fill('loading');
  }

  set(partition: number, state: PartitionState): void {
    assert(this.states !== null, 'partition state set before the topic exists');
    this.states[partition] = state;
  }

  isReady(partition: number): boolean {
    return this.states?.[partition] === 'ready';
  }

  /** The partition of a key, or null while the topic does not exist. */
  partitionFor(key: string): number | null {
    return this.states === null ? null : this.opts.partitionOf(key, this.states.length);
  }

  /** Null when the key's partition can be served now, else the error (creating the topic if missing). */
  error(key: string): number | null {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.states === null) {
      this.ensureTopic();
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    switch (this.states[this.opts.partitionOf(key, this.states.length)]!) {
      case 'loading':
        return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
      case 'failed':
        return ErrorCode.NOT_COORDINATOR;
      case 'ready':
        return null;
    }
  }

  /** FindCoordinator: null when this broker coordinates the key, else the error. */
  findCoordinatorError(key: string): number | null {
    if (this.stopped) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.states === null) {
      this.ensureTopic();
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    }
    return this.states[this.opts.partitionOf(key, this.states.length)] === 'failed' ? ErrorCode.COORDINATOR_NOT_AVAILABLE : null;
  }

  /** Creates the topic in the background; its partitions are empty, so ready at once. */
  private ensureTopic(): void {
    if (this.creating !== null || this.stopped) return;
    const { log, topicName, logger } = this.opts;
    this.creating = log.create(this.opts.spec()).then(
      () => {
        const count = log.partitionCount();
        assert(count !== null, `${topicName} was created but has no partitions`);
        if (this.states === null) this.states = new Array<PartitionState>(count).fill('ready');
        logger.info(`created ${topicName}`, { partitions: count });
      },
      (err) => {
        logger.error(`creating ${topicName} failed; will retry on the next request`, { err });
        this.creating = null;
      },
    );
  }

  /** Stops creating and serving; resolves once a creation in flight has ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.creating?.catch(() => undefined);
  }

  /** Forgets the topic (it was deleted): the next request creates it again. */
  reset(): void {
    this.states = null;
    this.creating = null;
  }
}
