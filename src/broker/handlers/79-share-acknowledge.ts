// ShareAcknowledge (key 79), versions 1–2. Acknowledgements of records a member holds, per
// partition: ACCEPT, RELEASE, REJECT or a gap, and from v2 RENEW with IsRenewAck (KIP-1222: the
// records' locks start again; the response's AcquisitionLockTimeoutMs says for how long), in the
// member's share session (its current epoch, or −1 to close it, which releases what the member
// still holds). Epoch 0 is refused: a session is opened by ShareFetch.
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import { ShareAcknowledgeRequestSchema, ShareAcknowledgeResponseSchema, type ShareAcknowledgeRequest, type ShareAcknowledgeResponse, type ShareAcknowledgeResponsePartitionData } from '../../protocol/messages/79-share-acknowledge.js';
import { Op, onGroup } from '../access.js';
import type { Handler } from '../handler.js';
import { SHARE_GROUPS_OFF, shareGroupsServed } from '../feature-gates.js';
import { ShareService, misplacedRenew } from '../share-service.js';
import { FINAL_SHARE_SESSION_EPOCH, INITIAL_SHARE_SESSION_EPOCH } from '../share-sessions.js';
import { sharePartitionError } from './78-share-fetch.js';

function refuse(errorCode: number, errorMessage: string | null = null): ShareAcknowledgeResponse {
  return { throttleTimeMs: 0, errorCode, errorMessage, acquisitionLockTimeoutMs: 0, responses: [], nodeEndpoints: [] };
}

export const shareAcknowledgeHandler: Handler<ShareAcknowledgeRequest, ShareAcknowledgeResponse> = {
  apiKey: 79,
  minVersion: 1,
  maxVersion: 2,
  request: ShareAcknowledgeRequestSchema,
  response: ShareAcknowledgeResponseSchema,
  async handle(ctx, req, version) {
    const groupId = req.groupId ?? '';
    const memberId = req.memberId ?? '';
    if (!shareGroupsServed(ctx.broker)) return refuse(ErrorCode.UNSUPPORTED_VERSION, SHARE_GROUPS_OFF);
    if (groupId === '' || memberId === '') return refuse(ErrorCode.INVALID_REQUEST, 'ShareAcknowledge needs a group id and a member id');
    if (!onGroup(ctx, Op.READ, groupId)) return refuse(ErrorCode.GROUP_AUTHORIZATION_FAILED);
    if (req.shareSessionEpoch === INITIAL_SHARE_SESSION_EPOCH) return refuse(ErrorCode.INVALID_SHARE_SESSION_EPOCH, 'ShareAcknowledge cannot open a share session');
    const share = ShareService.of(ctx.broker);
    let session;
    try {
      session = share.sessions.open(groupId, memberId, req.shareSessionEpoch);
    } catch (err) {
      if (err instanceof KafkaError) return refuse(err.code, err.message);
      throw err;
    }
    const responses: ShareAcknowledgeResponse['responses'] = [];
    for (const t of req.topics) {
      const partitions: ShareAcknowledgeResponsePartitionData[] = [];
      for (const p of t.partitions) {
        const r: ShareAcknowledgeResponsePartitionData = { partitionIndex: p.partitionIndex, errorCode: sharePartitionError(ctx, share, t.topicId), errorMessage: null, currentLeader: share.currentLeader(t.topicId, p.partitionIndex) };
        partitions.push(r);
        if (r.errorCode !== 0) continue;
        if (misplacedRenew(p.acknowledgementBatches, version >= 2 && req.isRenewAck)) {
          r.errorCode = ErrorCode.INVALID_REQUEST;
          r.errorMessage = 'RENEW acknowledgements need IsRenewAck (ShareAcknowledge v2+)';
          continue;
        }
        try {
          r.errorCode = await share.acknowledge(groupId, memberId, t.topicId, p.partitionIndex, p.acknowledgementBatches);
        } catch (err) {
          if (!(err instanceof KafkaError)) throw err;
          r.errorCode = err.code;
          r.errorMessage = err.message;
        }
      }
      responses.push({ topicId: t.topicId, partitions });
    }
    if (req.shareSessionEpoch === FINAL_SHARE_SESSION_EPOCH) await share.releaseSession(groupId, memberId);
    else share.sessions.advance(session);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: ctx.broker.groupConfigs.intValue(req.groupId ?? '', 'share.record.lock.duration.ms'), responses, nodeEndpoints: [] };
  },
};
