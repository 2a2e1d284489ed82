/**
 * Group membership over the KIP-848 consumer protocol (`groupProtocol: 'consumer'`): the member
 * sends ConsumerGroupHeartbeat v1 with its own member id, its subscription and the partitions it
 * owns; the broker's assignor answers with the target assignment and the member epoch. The member
 * reconciles as Kafka's consumer does — partitions leaving are revoked (committed first) before
 * the next heartbeat says so, and new ones are taken — inside the consumer's poll, so fetching
 * never races a change of ownership. Heartbeats run in the background at the interval the broker
 * gives; a new assignment they bring is reconciled at the next poll. Fenced (FENCED_MEMBER_EPOCH,
 * UNKNOWN_MEMBER_ID): the partitions are lost and the member joins again at epoch 0.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, KafkaError, errorName } from '../../protocol/errors.js';
import type { Cluster } from '../cluster.js';
import type { Connection } from '../connection.js';
import { tpKey } from './assignor.js';
import type { MembershipHooks, MembershipOptions, TopicPartition } from './membership.js';
import { COORDINATOR_MOVED, type CommittedOffset, type OffsetToCommit } from './requests.js';
import { Attempts, CoordinatorLink } from './coordinator-link.js';

const HEARTBEAT_KEY = 68;
const LEAVE_EPOCH = -1;
const LEAVE_STATIC_EPOCH = -2;

interface HeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: Array<{ topicId: string; partitions: number[] }> } | null;
}

export class ConsumerProtocolMembership {
  /** Chosen by the member (ConsumerGroupHeartbeat v1), kept for its whole life. */
  readonly memberId = randomBytes(16).toString('base64url');
  /** The member epoch: -1 until joined (OffsetCommit v9 carries it as the generation). */
  generationId = -1;
  private subscription: string[] = [];
  private subscriptionSent: string | null = null;
  /** The assignment the broker last gave, not yet taken (null: nothing new). */
  private target: TopicPartition[] | null = null;
  private joined = false;
  private lostPending = false;
  private readonly attempts = new Attempts();
  private readonly link: CoordinatorLink;
  private timer: NodeJS.Timeout | null = null;
  private intervalMs = 5000;
  private inFlight: Promise<void> | null = null;
  private closed = false;
  private leaving = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: MembershipOptions,
    private readonly hooks: MembershipHooks,
  ) {
    this.link = new CoordinatorLink(cluster, opts.groupId);
  }

  get groupId(): string {
    return this.opts.groupId;
  }

  /** The broker assigns: no member leads. */
  get isLeader(): boolean {
    return false;
  }

  get isStable(): boolean {
    return this.joined && this.target === null && !this.lostPending && this.subscriptionSent === this.subscriptionKey();
  }

  /** Partitions move one at a time, as in the cooperative protocol. */
  get protocol(): 'cooperative' {
    return 'cooperative';
  }

  get topics(): string[] {
    return this.subscription;
  }

  private subscriptionKey(): string {
    return this.subscription.join('\u0000');
  }

  subscribe(topics: string[]): void {
    this.subscription = [...new Set(topics)].sort();
  }

  /** Asks for a heartbeat now (the consumer calls it after giving up partitions). */
  requestRejoin(_reason: string): void {
    if (this.joined) this.schedule(0);
  }

  checkMetadata(): Promise<void> {
    return Promise.resolve();
  }

  takeError(): Error | null {
    return this.attempts.take();
  }

  /** Joins or reconciles until stable; never rejects (errors wait in takeError). */
  activate(): Promise<void> {
    if (this.attempts.blocked || this.isStable) return Promise.resolve();
    return this.attempts.start(() => this.runActivation(), () => !this.closed && !this.leaving);
  }

  private async runActivation(): Promise<void> {
    for (let attempt = 0; !this.closed && !this.leaving && !this.isStable; ) {
      try {
        if (this.lostPending) {
          this.lostPending = false;
          await this.hooks.lost();
        }
        if (this.target !== null) {
          const target = this.target;
          this.target = null;
          // Revokes what left (committing first), takes what came; the next heartbeat reports it.
          await this.hooks.assigned(target, 'cooperative');
        }
        await this.heartbeat();
        attempt = 0;
      } catch (err) {
        if (this.closed || this.leaving) return;
        if (!this.retriable(err)) throw err;
        await sleep(this.cluster.backoffMs(attempt));
        attempt++;
      }
    }
  }

  private retriable(err: unknown): boolean {
    if (this.link.gone(err)) return true;
    if (!(err instanceof KafkaError)) return false;
    return err.code === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || err.code === ErrorCode.FENCED_MEMBER_EPOCH || err.code === ErrorCode.UNKNOWN_MEMBER_ID;
  }

  /** One heartbeat (one at a time); its answer updates the epoch, the interval and the target. */
  private heartbeat(): Promise<void> {
    if (this.inFlight === null) {
      const run = this.sendHeartbeat().finally(() => {
        if (this.inFlight === run) this.inFlight = null;
      });
      this.inFlight = run;
    }
    return this.inFlight;
  }

  private async sendHeartbeat(): Promise<void> {
    const conn = await this.coordinatorConnection();
    if (conn.apiVersionRange(HEARTBEAT_KEY) === undefined) {
      this.attempts.fatal = new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `The group coordinator of '${this.opts.groupId}' does not serve ConsumerGroupHeartbeat (KIP-848): use groupProtocol 'classic' with this cluster.`);
      throw this.attempts.fatal;
    }
    const joining = !this.joined;
    const subscriptionKey = this.subscriptionKey();
    const full = joining || this.subscriptionSent !== subscriptionKey;
    const owned = this.hooks.owned();
    const ids = await this.topicIds(owned.map((tp) => tp.topic));
    const byTopic = new Map<string, number[]>();
    for (const tp of owned) {
      const id = ids.get(tp.topic);
      if (id === undefined) continue;
      let list = byTopic.get(id);
      if (list === undefined) byTopic.set(id, (list = []));
      list.push(tp.partition);
    }
    const resp = await conn.request<object, HeartbeatResponse>(HEARTBEAT_KEY, conn.versionFor(HEARTBEAT_KEY, 1, 1), {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      memberEpoch: joining ? 0 : this.generationId,
      instanceId: this.opts.groupInstanceId,
      rackId: null,
      rebalanceTimeoutMs: full ? this.opts.rebalanceTimeoutMs : -1,
      subscribedTopicNames: full ? this.subscription : null,
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: [...byTopic].map(([topicId, partitions]) => ({ topicId, partitions })),
    });
    if (resp.errorCode !== ErrorCode.NONE) {
      if (resp.errorCode === ErrorCode.FENCED_MEMBER_EPOCH || resp.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.opts.logger.info('consumer group member fenced; rejoining', { groupId: this.opts.groupId, error: errorName(resp.errorCode) });
        this.joined = false;
        this.generationId = -1;
        this.lostPending = true;
        this.subscriptionSent = null;
      } else if (!COORDINATOR_MOVED.has(resp.errorCode) && resp.errorCode !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) {
        this.attempts.fatal = new KafkaError(resp.errorCode, resp.errorMessage ?? `ConsumerGroupHeartbeat for group '${this.opts.groupId}' failed: ${errorName(resp.errorCode)}`);
      }
      throw new KafkaError(resp.errorCode, resp.errorMessage ?? errorName(resp.errorCode));
    }
    this.joined = true;
    this.generationId = resp.memberEpoch;
    this.subscriptionSent = subscriptionKey;
    if (resp.heartbeatIntervalMs > 0) this.intervalMs = resp.heartbeatIntervalMs;
    if (resp.assignment !== null) {
      const names = await this.topicNames(resp.assignment.topicPartitions.map((t) => t.topicId));
      const target = resp.assignment.topicPartitions.flatMap((t) => {
        const topic = names.get(t.topicId);
        return topic === undefined ? [] : t.partitions.map((partition) => ({ topic, partition }));
      });
      const have = new Set(owned.map((tp) => tpKey(tp.topic, tp.partition)));
      const same = target.length === have.size && target.every((tp) => have.has(tpKey(tp.topic, tp.partition)));
      this.target = same ? null : target;
    }
    this.schedule(this.intervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.leaving) return;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.joined || this.closed || this.leaving || this.attempts.current !== null) return;
      this.heartbeat().catch((err: unknown) => {
        if (!this.retriable(err)) this.opts.logger.warn('heartbeat failed', { groupId: this.opts.groupId, error: err });
        this.schedule(this.cluster.backoffMs(0));
      });
    }, delayMs);
    this.timer.unref?.();
  }

  private async topicIds(topics: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const t of new Set(topics)) out.set(t, (await this.cluster.topic(t)).topicId);
    return out;
  }

  /** Topic ids of an assignment to names, from the subscription's metadata (refreshed for an id not known yet). */
  private async topicNames(ids: string[]): Promise<Map<string, string>> {
    const find = async (topics: string[] | null): Promise<Map<string, string>> => new Map((await this.cluster.refresh(topics)).topics.map((t) => [t.topicId, t.name]));
    const names = await find(this.subscription);
    return ids.every((id) => names.has(id)) ? names : find(null);
  }

  coordinatorConnection(): Promise<Connection> {
    return this.link.connection();
  }

  /** Commits as the member (OffsetCommit v9 with the member epoch), or standalone. */
  async commit(offsets: OffsetToCommit[], opts: { asMember: boolean }): Promise<void> {
    if (offsets.length === 0) return;
    const ctx = opts.asMember
      ? { groupId: this.opts.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.opts.groupInstanceId }
      : { groupId: this.opts.groupId, generationId: -1, memberId: '', groupInstanceId: null };
    // A stale epoch: the next heartbeat brings the new one; the caller may commit again.
    await this.link.commit(ctx, offsets, (code) => {
      if (code === ErrorCode.STALE_MEMBER_EPOCH) this.schedule(0);
    });
  }

  committed(partitions: TopicPartition[], deadline?: number): Promise<Map<string, CommittedOffset>> {
    return this.link.committed(partitions, deadline);
  }

  /** Leaves with epoch -1 (a static member with -2: its partitions wait for it until its session times out). */
  async leave(reason: string): Promise<void> {
    this.leaving = true;
    if (this.timer !== null) clearTimeout(this.timer);
    try {
      await this.attempts.current;
      await this.inFlight?.catch(() => undefined);
      if (!this.joined) return;
      this.joined = false;
      const conn = await this.coordinatorConnection();
      const resp = await conn.request<object, HeartbeatResponse>(HEARTBEAT_KEY, conn.versionFor(HEARTBEAT_KEY, 1, 1), {
        groupId: this.opts.groupId, memberId: this.memberId, memberEpoch: this.opts.groupInstanceId === null ? LEAVE_EPOCH : LEAVE_STATIC_EPOCH,
        instanceId: this.opts.groupInstanceId, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null,
      });
      if (resp.errorCode !== ErrorCode.NONE) this.opts.logger.info('leaving the group was refused', { groupId: this.opts.groupId, reason, error: errorName(resp.errorCode) });
    } catch (err) {
      this.opts.logger.info('leaving the group failed', { groupId: this.opts.groupId, reason, error: err });
    } finally {
      this.generationId = -1;
      this.subscriptionSent = null;
      this.leaving = false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    await this.link.close();
  }
}
