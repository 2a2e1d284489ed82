/** DescribeGroups, ListGroups and DeleteGroups, as Kafka's classic coordinator answers them. */
import { ErrorCode } from '../../protocol/errors.js';
import type { GroupCoordinator } from './coordinator.js';
import type { GroupState } from './group.js';
import { EMPTY_BYTES } from './member.js';
import { removeOffsets } from './offsets.js';
import type { ConsumerGroupStateName } from './consumer/group.js';

export interface GroupSummary {
  errorCode: number;
  groupId: string;
  state: GroupState | '';
  protocolType: string;
  /** The selected protocol, only while Stable. */
  protocol: string;
  /** Why the group is described as Dead: Kafka's sentence, which DescribeGroups v6+ sends with GROUP_ID_NOT_FOUND. */
  notFound: string | null;
  members: Array<{
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: GroupState | ConsumerGroupStateName;
  /** KIP-848 group type. */
  type: 'classic' | 'consumer';
}

/**
 * A group this coordinator does not know, or a KIP-848 consumer group (not a classic group), is
 * described as Dead, with the reason Kafka 4 gives at DescribeGroups v6.
 */
export function describeGroup(c: GroupCoordinator, groupId: string): GroupSummary {
  const error = c.groupError(groupId, 'any');
  if (error !== null) return { errorCode: error, groupId, state: '', protocolType: '', protocol: '', members: [], notFound: null };
  const g = c.getGroup(groupId);
  const dead = (notFound: string): GroupSummary => ({ errorCode: ErrorCode.NONE, groupId, state: 'Dead', protocolType: '', protocol: '', members: [], notFound });
  if (g === undefined) return dead(`Group ${groupId} not found.`);
  if (g.consumer !== null) return dead(`Group ${groupId} is not a classic group.`);
  const stable = g.is('Stable') && g.protocolName !== null;
  return {
    errorCode: ErrorCode.NONE,
    groupId,
    state: g.state,
    protocolType: g.protocolType ?? '',
    protocol: stable ? g.protocolName! : '',
    notFound: null,
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      metadata: stable ? m.metadata(g.protocolName!) : EMPTY_BYTES,
      assignment: stable ? m.assignment : EMPTY_BYTES,
    })),
  };
}

/** Every loaded group, optionally only those in the given states / of the given types (case-insensitive). */
export function listGroups(c: GroupCoordinator, statesFilter: string[], typesFilter: string[]): { errorCode: number; groups: GroupListing[] } {
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(typesFilter.map((s) => s.toLowerCase()));
  const groups: GroupListing[] = [];
  for (const g of c.readyGroups()) {
    const listing: GroupListing = g.consumer !== null
      ? { groupId: g.groupId, protocolType: 'consumer', state: g.consumer.state(), type: 'consumer' }
      : { groupId: g.groupId, protocolType: g.protocolType ?? '', state: g.state, type: 'classic' };
    if (types.size > 0 && !types.has(listing.type)) continue;
    if (states.size > 0 && !states.has(listing.state.toLowerCase())) continue;
    groups.push(listing);
  }
  return { errorCode: c.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
}

/** Deletes an Empty group and its offsets (NON_EMPTY_GROUP while it has members). */
export async function deleteGroup(c: GroupCoordinator, groupId: string): Promise<number> {
  const error = c.groupError(groupId, 'any');
  if (error !== null) return error;
  const g = c.getGroup(groupId);
  if (g === undefined) return ErrorCode.GROUP_ID_NOT_FOUND;
  return c.run(g, async () => {
    if (g.is('Dead')) return ErrorCode.GROUP_ID_NOT_FOUND;
    if (!g.is('Empty') || (g.consumer?.members.size ?? 0) > 0) return ErrorCode.NON_EMPTY_GROUP;
    const all = [...g.offsets].flatMap(([topic, ps]) => [...ps.keys()].map((partition) => ({ topic, partition })));
    return removeOffsets(c, g, all);
  });
}
