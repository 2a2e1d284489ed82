// DeleteShareGroupOffsets (key 92), version 0 (Kafka 4.2; kafka-share-groups.sh --delete-offsets).
// Removes the share-partition states of the named topics in an empty share group, so that the group
// starts there again from share.auto.offset.reset. DELETE on the group (else
// GROUP_AUTHORIZATION_FAILED), READ on each topic (else TOPIC_AUTHORIZATION_FAILED on its row); a
// group with members is NON_EMPTY_GROUP; an unknown topic, or one the group has no state for, is
// UNKNOWN_TOPIC_OR_PARTITION. Behaviour: share-admin.ts.
import {
  DeleteShareGroupOffsetsRequestSchema,
  DeleteShareGroupOffsetsResponseSchema,
  type DeleteShareGroupOffsetsRequest,
  type DeleteShareGroupOffsetsResponse,
} from '../../protocol/messages/92-delete-share-group-offsets.js';
import type { Handler } from '../handler.js';
import { deleteShareGroupOffsets } from '../share-admin.js';

export const deleteShareGroupOffsetsHandler: Handler<DeleteShareGroupOffsetsRequest, DeleteShareGroupOffsetsResponse> = {
  apiKey: 92,
  minVersion: 0,
  maxVersion: 0,
  request: DeleteShareGroupOffsetsRequestSchema,
  response: DeleteShareGroupOffsetsResponseSchema,
  handle: (ctx, req) => deleteShareGroupOffsets(ctx, req),
};
