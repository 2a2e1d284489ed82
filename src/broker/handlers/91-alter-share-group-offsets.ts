// AlterShareGroupOffsets (key 91), version 0 (Kafka 4.2; kafka-share-groups.sh --reset-offsets
// --execute). Sets each named share-partition's start offset (SPSO) in an empty share group and
// clears what was in flight there, durably in __share_group_state, before answering. READ on the
// group (else GROUP_AUTHORIZATION_FAILED for all) and on each topic (else TOPIC_AUTHORIZATION_FAILED
// on its partitions); a group with members is NON_EMPTY_GROUP; unknown topics and partitions are
// UNKNOWN_TOPIC_OR_PARTITION. Behaviour: share-admin.ts.
import {
  AlterShareGroupOffsetsRequestSchema,
  AlterShareGroupOffsetsResponseSchema,
  type AlterShareGroupOffsetsRequest,
  type AlterShareGroupOffsetsResponse,
} from '../../protocol/messages/91-alter-share-group-offsets.js';
import type { Handler } from '../handler.js';
import { alterShareGroupOffsets } from '../share-admin.js';

export const alterShareGroupOffsetsHandler: Handler<AlterShareGroupOffsetsRequest, AlterShareGroupOffsetsResponse> = {
  apiKey: 91,
  minVersion: 0,
  maxVersion: 0,
  request: AlterShareGroupOffsetsRequestSchema,
  response: AlterShareGroupOffsetsResponseSchema,
  handle: (ctx, req) => alterShareGroupOffsets(ctx, req),
};
