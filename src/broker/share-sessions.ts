/**
 * Share sessions (KIP-932, Kafka's ShareSessionCache): per (group, member), the partitions a
 * share consumer fetches from this broker and the epoch of its next request. Epoch 0 opens a
 * session (replacing the member's old one), −1 closes it, any other value must be the session's
 * current epoch, which each request then moves on by one. ShareFetch and ShareAcknowledge share
 * one sequence.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';

export const INITIAL_SHARE_SESSION_EPOCH = 0;
export const FINAL_SHARE_SESSION_EPOCH = -1;
const EPOCH_MAX = 0x7fffffff;

export interface SessionPartition {
  topicId: string;
  partition: number;
}

export interface ShareSession {
  groupId: string;
  memberId: string;
  epoch: number;
  /** `${topicId}:${partition}` → the partition. */
  partitions: Map<string, SessionPartition>;
}

export const sessionPartitionKey = (topicId: string, partition: number): string => `${topicId}:${partition}`;

export class ShareSessions {
  private readonly sessions = new Map<string, ShareSession>();

  constructor(
    private readonly maxSessions: number,
    /** Whether a session's member is still in its group; at the limit, a session of a gone member makes room. */
    private readonly memberLive: (groupId: string, memberId: string) => boolean = () => true,
  ) {}

  private static key(groupId: string, memberId: string): string {
    return `${groupId}\u0000${memberId}`;
  }

  get size(): number {
    return this.sessions.size;
  }

  get(groupId: string, memberId: string): ShareSession | undefined {
    return this.sessions.get(ShareSessions.key(groupId, memberId));
  }

  /**
   * The session a request at `epoch` works in: a new one for epoch 0, the current one otherwise
   * (checked). Throws SHARE_SESSION_NOT_FOUND, INVALID_SHARE_SESSION_EPOCH or
   * SHARE_SESSION_LIMIT_REACHED. Does not move the epoch: `advance` does once the request is served.
   */
  open(groupId: string, memberId: string, epoch: number): ShareSession {
    const key = ShareSessions.key(groupId, memberId);
    if (epoch === INITIAL_SHARE_SESSION_EPOCH) {
      if (!this.sessions.has(key) && this.sessions.size >= this.maxSessions) this.evictOne();
      if (!this.sessions.has(key) && this.sessions.size >= this.maxSessions) {
        throw new KafkaError(ErrorCode.SHARE_SESSION_LIMIT_REACHED, `this broker holds its ${this.maxSessions} share sessions (group.share.max.share.sessions)`);
      }
      const s: ShareSession = { groupId, memberId, epoch: 0, partitions: new Map() };
      this.sessions.set(key, s);
      return s;
    }
    const s = this.sessions.get(key);
    if (s === undefined) throw new KafkaError(ErrorCode.SHARE_SESSION_NOT_FOUND, `no share session for member ${memberId} of group ${groupId}`);
    if (epoch !== FINAL_SHARE_SESSION_EPOCH && epoch !== s.epoch) {
      throw new KafkaError(ErrorCode.INVALID_SHARE_SESSION_EPOCH, `share session epoch ${epoch} is not the expected ${s.epoch}`);
    }
    return s;
  }

  /** The request was served: the next one carries the next epoch (1 after 0, wrapping past 2³¹−1 to 1). */
  advance(s: ShareSession): void {
    s.epoch = s.epoch >= EPOCH_MAX ? 1 : s.epoch + 1;
  }

  /** Drops the oldest session whose member has left its group (killed consumers never close theirs). */
  private evictOne(): void {
    for (const [key, s] of this.sessions) {
      if (!this.memberLive(s.groupId, s.memberId)) {
        this.sessions.delete(key);
        return;
      }
    }
  }

  close(groupId: string, memberId: string): ShareSession | undefined {
    const key = ShareSessions.key(groupId, memberId);
    const s = this.sessions.get(key);
    this.sessions.delete(key);
    return s;
  }
}
