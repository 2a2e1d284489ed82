/**
 * The KIP-848 state of a consumer group, as the records of `__consumer_offsets` leave it: the group
 * epoch, the subscription metadata it was computed for, the target assignment and its epoch, and
 * each member's subscription and current assignment. `apply` (replay) is the only way it changes;
 * timers are kept beside it, in memory only. Committed offsets stay in the ClassicGroup that
 * carries this state (`ClassicGroup.consumer`), shared with the classic protocol's code.
 */
import type { TimerHandle } from '../../../platform/clock.js';
import { MemberState, type ConsumerGroupRecord, type ConsumerMemberAssignment, type ConsumerMemberMetadata, type SubscribedTopic, type TopicPartitions } from './records.js';

/** Kafka's ConsumerGroupState, as ListGroups and ConsumerGroupDescribe name it. */
export type ConsumerGroupStateName = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

export const EMPTY_ASSIGNMENT: ConsumerMemberAssignment = Object.freeze({
  memberEpoch: 0,
  previousMemberEpoch: 0,
  state: MemberState.STABLE,
  assignedPartitions: new Map(),
  partitionsPendingRevocation: new Map(),
});

export const EMPTY_METADATA: ConsumerMemberMetadata = Object.freeze({
  instanceId: null,
  rackId: null,
  clientId: '',
  clientHost: '',
  subscribedTopicNames: [],
  subscribedTopicRegex: null,
  rebalanceTimeoutMs: -1,
  serverAssignor: null,
  classicMemberMetadata: null,
});

export class ConsumerMember {
  metadata: ConsumerMemberMetadata = EMPTY_METADATA;
  assignment: ConsumerMemberAssignment = EMPTY_ASSIGNMENT;
  sessionTimer: TimerHandle | null = null;
  rebalanceTimer: TimerHandle | null = null;
  /** The member epoch the rebalance timer watches. */
  rebalanceTimerEpoch = -1;
  /** A classic member's join or sync timeout (classic-members.ts): it must rejoin, or sync, within its rebalance timeout. */
  classicTimer: TimerHandle | null = null;
  constructor(readonly memberId: string) {}
}

export class ConsumerGroupState {
  groupEpoch = 0;
  assignmentEpoch = 0;
  subscriptionMetadata: SubscribedTopic[] = [];
  readonly members = new Map<string, ConsumerMember>();
  /** memberId → target partitions. */
  readonly targets = new Map<string, TopicPartitions>();
  /** `${topicId}:${partition}` → epoch of the member holding it (assigned or being revoked). */
  private readonly partitionEpochs = new Map<string, number>();

  state(): ConsumerGroupStateName {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (m.assignment.state !== MemberState.STABLE || m.assignment.memberEpoch !== this.assignmentEpoch) return 'Reconciling';
    return 'Stable';
  }

  partitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(`${topicId}:${partition}`) ?? -1;
  }

  staticMember(instanceId: string): ConsumerMember | undefined {
    for (const m of this.members.values()) if (m.metadata.instanceId === instanceId) return m;
    return undefined;
  }

  /** The server assignor most members ask for, or null when none does (Kafka's computePreferredServerAssignor). */
  preferredAssignor(): string | null {
    const votes = new Map<string, number>();
    for (const m of this.members.values()) if (m.metadata.serverAssignor !== null) votes.set(m.metadata.serverAssignor, (votes.get(m.metadata.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    let most = 0;
    for (const [name, n] of votes) if (n > most) [best, most] = [name, n];
    return best;
  }

  private member(memberId: string): ConsumerMember {
    let m = this.members.get(memberId);
    if (m === undefined) this.members.set(memberId, (m = new ConsumerMember(memberId)));
    return m;
  }

  private setPartitionEpochs(a: ConsumerMemberAssignment, epoch: number | null): void {
    for (const tp of [a.assignedPartitions, a.partitionsPendingRevocation]) {
      for (const [t, ps] of tp) for (const p of ps) {
        if (epoch === null) this.partitionEpochs.delete(`${t}:${p}`);
        else this.partitionEpochs.set(`${t}:${p}`, epoch);
      }
    }
  }

  /** Replays one record of this group. Returns false once the group's last record is deleted. */
  apply(r: ConsumerGroupRecord): void {
    switch (r.type) {
      case 'cg-epoch':
        this.groupEpoch = r.value?.epoch ?? 0;
        return;
      case 'cg-partition-metadata':
        this.subscriptionMetadata = r.value ?? [];
        return;
      case 'cg-target-epoch':
        this.assignmentEpoch = r.value?.assignmentEpoch ?? 0;
        return;
      case 'cg-target-member':
        if (r.value === null) this.targets.delete(r.memberId);
        else this.targets.set(r.memberId, r.value);
        return;
      case 'cg-member':
        if (r.value === null) {
          const m = this.members.get(r.memberId);
          if (m !== undefined) this.setPartitionEpochs(m.assignment, null);
          this.members.delete(r.memberId);
        } else this.member(r.memberId).metadata = r.value;
        return;
      case 'cg-current-assignment': {
        if (r.value === null && !this.members.has(r.memberId)) return;
        const m = this.member(r.memberId);
        this.setPartitionEpochs(m.assignment, null);
        m.assignment = r.value ?? { ...EMPTY_ASSIGNMENT, memberEpoch: -1, previousMemberEpoch: -1 };
        this.setPartitionEpochs(m.assignment, m.assignment.memberEpoch);
        return;
      }
    }
  }

  /** True when no record of the group is left (its ConsumerGroupMetadata was deleted). */
  get isDeleted(): boolean {
    return this.groupEpoch === 0 && this.members.size === 0 && this.targets.size === 0;
  }
}
