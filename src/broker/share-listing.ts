/**
 * Share groups as ListGroups reports them (v5+: group type "share"; Kafka's protocol type for
 * them is "share" too): the groups this coordinator holds (from `__consumer_offsets`), and,
 * Empty, those it coordinates that only have share-partition state in this broker's
 * `__share_group_state`. For the ListGroups handler to add to the
 * classic (and consumer) groups it lists; filters match case-insensitively, as Kafka's.
 */
import { ShareGroups } from '../coordinator/share/group.js';
import type { BrokerContext } from './handler.js';
import { ShareService } from './share-service.js';

export const SHARE_GROUP_TYPE = 'share';

export interface ListedShareGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

export function listShareGroups(broker: BrokerContext, statesFilter: readonly string[], typesFilter: readonly string[]): ListedShareGroup[] {
  if (typesFilter.length > 0 && !typesFilter.some((t) => t.toLowerCase() === SHARE_GROUP_TYPE)) return [];
  const states = new Map<string, string>();
  // A group with share-partition state here but no records in __consumer_offsets (written before
  // membership was kept there) is listed Empty, in a cluster only by its group coordinator.
  for (const r of ShareService.existing(broker)?.store.all() ?? []) {
    if (broker.shareState === undefined || broker.groups.servesGroup(r.key.groupId)) states.set(r.key.groupId, 'Empty');
  }
  // Groups of __consumer_offsets partitions still loading are not listed (ListGroups says it is loading).
  for (const g of broker.groups.readyShareGroups()) states.set(g.groupId, ShareGroups.state(g));
  const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
  return [...states]
    .filter(([, state]) => wanted.size === 0 || wanted.has(state.toLowerCase()))
    .map(([groupId, groupState]) => ({ groupId, protocolType: SHARE_GROUP_TYPE, groupState, groupType: SHARE_GROUP_TYPE }));
}
