// UpdateFeatures (key 57), versions 0–2: kafka-features.sh upgrade / downgrade / disable. Alter on
// the cluster, as Kafka's controller asks. v0 says a downgrade with AllowDowngrade, v1+ with
// UpgradeType (1 upgrade, 2 safe downgrade, 3 unsafe downgrade); ValidateOnly (v1+) checks
// without changing. All or nothing, as Kafka 4: the first refused update (INVALID_UPDATE_VERSION
// with Kafka's sentence) refuses the request; v2 answers with the top-level error only, v0–1 also
// per feature. The levels live in the cluster metadata (cluster/features.ts).
import { ErrorCode } from '../../protocol/errors.js';
import {
  UpdateFeaturesRequestSchema, UpdateFeaturesResponseSchema,
  type UpdateFeaturesRequest, type UpdateFeaturesResponse,
} from '../../protocol/messages/57-update-features.js';
import { UpgradeType } from '../../cluster/features.js';
import { Op, onCluster } from '../access.js';
import { CLUSTER_AUTHORIZATION_MESSAGE } from '../acl-apis.js';
import type { Handler } from '../handler.js';

export const updateFeaturesHandler: Handler<UpdateFeaturesRequest, UpdateFeaturesResponse> = {
  apiKey: 57,
  minVersion: 0,
  maxVersion: 2,
  request: UpdateFeaturesRequestSchema,
  response: UpdateFeaturesResponseSchema,
  async handle(ctx, req, version) {
    const answer = (errorCode: number, errorMessage: string | null): UpdateFeaturesResponse => ({
      throttleTimeMs: 0, errorCode, errorMessage,
      results: version >= 2 ? [] : req.featureUpdates.map((u) => ({ feature: u.feature, errorCode, errorMessage })),
    });
    if (!onCluster(ctx, Op.ALTER)) return answer(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, CLUSTER_AUTHORIZATION_MESSAGE);
    const names = req.featureUpdates.map((u) => u.feature);
    const twice = names.find((n, i) => names.indexOf(n) !== i);
    if (twice !== undefined) return answer(ErrorCode.INVALID_REQUEST, `Feature ${twice} was specified more than once.`);
    const updates = req.featureUpdates.map((u) => ({
      feature: u.feature,
      level: u.maxVersionLevel,
      upgradeType: version === 0 ? (u.allowDowngrade ? UpgradeType.SAFE_DOWNGRADE : UpgradeType.UPGRADE) : u.upgradeType,
    }));
    const r = await ctx.broker.features.update(updates, version >= 1 && req.validateOnly);
    if (r.errorCode === ErrorCode.NONE && !(version >= 1 && req.validateOnly) && updates.length > 0)
      ctx.broker.logger.info('finalized features changed', { updates: updates.map((u) => `${u.feature}=${u.level}`).join(',') });
    return answer(r.errorCode, r.errorMessage);
  },
};
