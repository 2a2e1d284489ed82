/**
 * Share groups as ListGroups reports them (v5+: group type "share"; Kafka's protocol type for
 * them is "share" too): the groups with members here, and, Empty, those that only have
 * share-partition state in `__share_group_state`. For the ListGroups handler to add to the
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
  const share = ShareService.existing(broker);
  if (share === undefined) return [];
  const states = new Map<string, string>();
  for (const r of share.store.all()) states.set(r.key.groupId, 'Empty');
  for (const g of share.groups.list()) states.set(g.groupId, ShareGroups.state(g));
  const wanted = new Set(statesFilter.map((s) => s.toLowerCase()));
  return [...states]
    .filter(([, state]) => wanted.size === 0 || wanted.has(state.toLowerCase()))
    .map(([groupId, groupState]) => ({ groupId, protocolType: SHARE_GROUP_TYPE, groupState, groupType: SHARE_GROUP_TYPE }));
}
