/**
 * A share-partition leader's way to its share coordinators (KIP-932, Kafka's persister): the
 * share-group state APIs (InitializeShareGroupState 83, ReadShareGroupState 84,
 * WriteShareGroupState 85, DeleteShareGroupState 86, ReadShareGroupStateSummary 87) sent to the
 * broker that leads the key's partition of `__share_group_state`, found afresh from the cluster
 * view at every attempt. When this broker is that coordinator the request is answered in
 * process, without a socket.
 *
 * A coordinator that moved (NOT_COORDINATOR), is still replaying (COORDINATOR_LOAD_IN_PROGRESS),
 * is not known yet or cannot be reached, or whose write timed out waiting for its ISR is tried
 * again with a growing backoff, up to the request timeout; after that the last error is the
 * answer (within request.timeout.ms, `timeoutMs`). Writes carry a whole state, so trying one
 * again is harmless. One connection per coordinator, one request on it at a time (peer-link.ts).
 */
import type { Clock } from '../platform/clock.js';
import { ErrorCode } from '../protocol/errors.js';
import { PeerLinks, type PeerLinkOptions } from './peer-link.js';

export interface ShareStateChannelOptions extends PeerLinkOptions {
  clock: Clock;
  /**
   * The broker leading the `__share_group_state` partition of a share-partition key
   * ("group:topicId:partition"), or null while there is none (the topic being created, a leader
   * being elected).
   */
  coordinatorOf(key: string): number | null;
  /** This broker's own share coordinator, for the keys it leads: the same request, answered in process. */
  local(apiKey: number, body: unknown): Promise<unknown>;
}

/** Errors after which the call is tried again (the coordinator moves, loads, or its ISR lags). */
const RETRIABLE = new Set<number>([
  ErrorCode.NOT_COORDINATOR,
  ErrorCode.COORDINATOR_LOAD_IN_PROGRESS,
  ErrorCode.COORDINATOR_NOT_AVAILABLE,
  ErrorCode.NETWORK_EXCEPTION,
  ErrorCode.REQUEST_TIMED_OUT,
  ErrorCode.NOT_ENOUGH_REPLICAS,
  ErrorCode.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
  ErrorCode.LEADER_NOT_AVAILABLE,
]);
/** The first wait before trying again; it doubles up to BACKOFF_MAX_MS (a failover takes a broker session timeout). */
const BACKOFF_FIRST_MS = 50;
const BACKOFF_MAX_MS = 1_000;
const VERSION = 0;

/** The outcome of one call: the response, or, when no coordinator answered, the error that ended it. */
export type StateCallResult<Resp> = { response: Resp; errorCode: number } | { response: null; errorCode: number };

export class ShareStateChannels {
  private readonly links: PeerLinks;

  constructor(private readonly o: ShareStateChannelOptions) {
    this.links = new PeerLinks(o, {
      clientId: 'samsa-share-state', refused: 'cannot log in to the share coordinator', again: 'logged in to the share coordinator again',
      failed: 'a share-group state request to the share coordinator failed',
    });
  }

  /**
   * Sends one request about one share-partition key to its coordinator until the error
   * `errorOf` finds in the response is not retriable, or the time runs out.
   */
  async call<Resp>(key: string, apiKey: number, body: unknown, errorOf: (r: Resp) => number): Promise<StateCallResult<Resp>> {
    const deadline = this.o.clock.now() + (this.o.timeoutMs ?? 30_000);
    let backoffMs = BACKOFF_FIRST_MS;
    let last: StateCallResult<Resp> = { response: null, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
    for (;;) {
      if (this.links.closed) return { response: null, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE };
      const coordinator = this.o.coordinatorOf(key);
      if (coordinator !== null) {
        const response = coordinator === this.o.nodeId ? ((await this.o.local(apiKey, body)) as Resp) : await this.links.to(coordinator).request<Resp>(apiKey, VERSION, body);
        last = response === null ? { response: null, errorCode: ErrorCode.NETWORK_EXCEPTION } : { response, errorCode: errorOf(response) };
        if (!RETRIABLE.has(last.errorCode)) return last;
      }
      if (this.o.clock.now() + backoffMs > deadline) return last;
      await this.sleep(backoffMs);
      backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.o.clock.setTimeout(resolve, ms));
  }

  close(): void {
    this.links.close();
  }
}
