/**
 * What both kinds of group membership share (the classic protocol's membership.ts and KIP-848's
 * consumer-membership.ts): the connection to the group's coordinator, found on first use and again
 * after it moved, and committing and fetching offsets through it with Kafka's retries.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster.js';
import type { Connection } from '../connection.js';
import { ClosedError, ConnectionError, RequestTimeoutError } from '../errors.js';
import type { TopicPartition } from './membership.js';
import { COORDINATOR_MOVED, commitOffsets, fetchCommittedOffsets, findCoordinator, type CommitContext, type CommittedOffset, type OffsetToCommit } from './requests.js';

export class CoordinatorLink {
  private coordinator: Promise<Connection> | null = null;
  closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly groupId: string,
  ) {}

  /** The coordinator's connection, found and opened on first use and after it moved. */
  connection(): Promise<Connection> {
    if (this.closed) return Promise.reject(new ClosedError('This consumer was closed; create a new one.'));
    if (this.coordinator === null) {
      const pending = (async () => {
        const address = await this.cluster.withRetry(async () => findCoordinator(await this.cluster.anyConnection(), this.groupId));
        // Through the cluster, for its reconnect backoff and warning while the coordinator is away.
        return this.cluster.connect({ host: address.host, port: address.port }, `coordinator ${address.nodeId}`);
      })();
      this.coordinator = pending;
      pending.catch(() => {
        if (this.coordinator === pending) this.coordinator = null;
      });
    }
    return this.coordinator.then((conn) => {
      if (!conn.isClosed) return conn;
      this.markUnknown();
      return this.connection();
    });
  }

  /** True when `err` means the coordinator is gone (a lost connection, NOT_COORDINATOR, COORDINATOR_NOT_AVAILABLE); it is then looked up again. */
  gone(err: unknown): boolean {
    const gone =
      err instanceof ConnectionError || err instanceof RequestTimeoutError || err instanceof ClosedError || (err instanceof KafkaError && COORDINATOR_MOVED.has(err.code));
    if (gone) this.markUnknown();
    return gone;
  }

  markUnknown(): void {
    const old = this.coordinator;
    this.coordinator = null;
    old?.then((c) => c.destroy()).catch(() => undefined);
  }

  /** As Kafka's commitSync: retried while the coordinator moves or is away, for default.api.timeout.ms; `onError` sees each group error. */
  async commit(ctx: CommitContext, offsets: OffsetToCommit[], onError: (code: number) => void = () => undefined): Promise<void> {
    const deadline = Date.now() + this.cluster.defaultApiTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        await commitOffsets(await this.connection(), ctx, offsets);
        return;
      } catch (err) {
        const moved = (err instanceof KafkaError && COORDINATOR_MOVED.has(err.code)) || err instanceof ConnectionError || err instanceof RequestTimeoutError;
        if (err instanceof KafkaError) onError(err.code);
        const waitMs = this.cluster.backoffMs(attempt);
        if (!moved || Date.now() + waitMs >= deadline || this.closed) throw err;
        this.markUnknown();
        await sleep(waitMs);
      }
    }
  }

  async committed(partitions: TopicPartition[], deadline = Date.now() + this.cluster.defaultApiTimeoutMs): Promise<Map<string, CommittedOffset>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fetchCommittedOffsets(await this.connection(), this.groupId, partitions);
      } catch (err) {
        const away = err instanceof ConnectionError || err instanceof RequestTimeoutError;
        const retry = (err instanceof KafkaError && (err.retriable || err.code === ErrorCode.UNSTABLE_OFFSET_COMMIT)) || away;
        const waitMs = this.cluster.backoffMs(attempt);
        if (!retry || Date.now() + waitMs >= deadline || this.closed) throw err;
        if (away || (err instanceof KafkaError && COORDINATOR_MOVED.has(err.code))) this.markUnknown();
        await sleep(waitMs);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const conn = this.coordinator;
    this.coordinator = null;
    await conn?.then((c) => c.close()).catch(() => undefined);
  }
}

/**
 * One attempt at a time to join (or reconcile), shared by concurrent callers: `start` never
 * rejects; the attempt's error waits in `take()` for the next poll, unless `keep` says the member
 * is closing or leaving. A fatal error (fenced) is returned by every `take()`.
 */
export class Attempts {
  private running: Promise<void> | null = null;
  private error: Error | null = null;
  fatal: Error | null = null;

  get current(): Promise<void> | null {
    return this.running;
  }

  get blocked(): boolean {
    return this.fatal !== null || this.error !== null;
  }

  start(body: () => Promise<void>, keep: () => boolean): Promise<void> {
    if (this.running === null) {
      const run: Promise<void> = body()
        .catch((err: Error) => {
          if (keep()) this.error = err;
        })
        .finally(() => {
          if (this.running === run) this.running = null;
        });
      this.running = run;
    }
    return this.running;
  }

  take(): Error | null {
    if (this.fatal !== null) return this.fatal;
    const err = this.error;
    this.error = null;
    return err;
  }
}
