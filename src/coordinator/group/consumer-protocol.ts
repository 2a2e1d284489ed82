/**
 * The one part of the consumer protocol (protocol type "consumer") the coordinator reads: the
 * topics in a member's subscription. Kafka uses them to keep offsets of subscribed topics from
 * expiring and to refuse OffsetDelete on them (GROUP_SUBSCRIBED_TO_TOPIC).
 *
 * ConsumerProtocolSubscription, every version: INT16 version, then topics as an INT32 count of
 * INT16-length strings; later versions only append fields (user data, owned partitions, ...).
 */
import { Reader } from '../../protocol/reader.js';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** The subscribed topics, or null when the bytes are not a consumer subscription. */
export function subscriptionTopics(metadata: Buffer): string[] | null {
  const r = new Reader(metadata);
  const version = r.int16();
  if (version < 0) return null;
  const count = r.arrayLength(r.int32(), 2);
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(r.string());
  return r.error === null ? topics : null;
}
