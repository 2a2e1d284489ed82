/**
 * What the finalized features (and the broker keys beside them) switch on, as Kafka's KafkaApis
 * checks before serving an API: the KIP-848 consumer protocol needs `consumer` in
 * group.coordinator.rebalance.protocols and group.version ≥ 1; share groups need share.version ≥ 1.
 * Off, those APIs answer UNSUPPORTED_VERSION.
 */
import type { BrokerContext } from './handler.js';

export function consumerProtocolServed(broker: BrokerContext): boolean {
  return broker.groups.config.consumerProtocolEnabled && broker.features.level('group.version') >= 1;
}

export function shareGroupsServed(broker: BrokerContext): boolean {
  return broker.features.level('share.version') >= 1;
}

export const CONSUMER_PROTOCOL_OFF = 'The new consumer group protocol is not enabled (group.coordinator.rebalance.protocols, group.version).';
export const SHARE_GROUPS_OFF = 'Share groups are not enabled (share.version is 0).';
