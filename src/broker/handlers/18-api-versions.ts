// ApiVersions (key 18), versions 0–4.
// v0–v2: the list of APIs with their version ranges. v1+ adds throttle time.
// v3+: flexible; the client's software name and version are kept on the connection (KIP-714's
// client_software_name / client_software_version selectors).
// v4: same as v3. v3+ features (KIP-584): group.version 0–1 (the KIP-848 consumer group
// protocol), share.version 0–1 (share groups), transaction.version 0–2 (KIP-890 transactions v2:
// Produce v12, TxnOffsetCommit v5, EndTxn v5 with an epoch bump per transaction) supported, and
// finalized at the levels UpdateFeatures set (1, 1 and 2 until then; a level 0 is not listed).
// APIs marked unstable (the share coordinator's 83–87, as Kafka's definitions mark them) are
// listed only with unstable.api.versions.enable=true; they are served either way.
// An unknown version never reaches here: the connection answers it (see connection.ts).
import { API_VERSIONS_KEY } from '../../protocol/headers.js';
import { ApiVersionsRequestSchema, ApiVersionsResponseSchema, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/18-api-versions.js';
import type { Handler } from '../handler.js';
import { FEATURE_SPECS } from '../../cluster/features.js';

/** The API that proves a feature is served: a feature is listed only while its handler is registered. */
const PROVEN_BY: Readonly<Record<string, number>> = { 'group.version': 68, 'share.version': 76, 'transaction.version': 26 };

/** Built by the registry, which knows every handler. */
export function apiVersionsHandler(all: () => Iterable<Handler>): Handler<ApiVersionsRequest, ApiVersionsResponse> {
  return {
    apiKey: API_VERSIONS_KEY,
    minVersion: 0,
    maxVersion: 4,
    request: ApiVersionsRequestSchema,
    response: ApiVersionsResponseSchema,
    async handle(ctx, req, version) {
      if (version >= 3 && ctx.client !== undefined) {
        ctx.client.softwareName = req.clientSoftwareName;
        ctx.client.softwareVersion = req.clientSoftwareVersion;
      }
      // As Kafka: an API whose only version is unstable is listed only when unstable ones are enabled.
      const unstable = ctx.broker.config.raw['unstable.api.versions.enable'] === 'true';
      const handlers = [...all()].filter((h) => h.unstable !== true || unstable);
      const apiKeys = handlers.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion })).sort((a, b) => a.apiKey - b.apiKey);
      const served = FEATURE_SPECS.filter((f) => handlers.some((h) => h.apiKey === PROVEN_BY[f.name]));
      const features = ctx.broker.features;
      const finalized = features.finalized().filter((f) => served.some((s) => s.name === f.name));
      return {
        errorCode: 0, apiKeys, throttleTimeMs: 0,
        supportedFeatures: served.map((f) => ({ name: f.name, minVersion: 0, maxVersion: f.maxLevel })),
        finalizedFeaturesEpoch: served.length === 0 ? -1 : features.epoch(),
        finalizedFeatures: finalized.map((f) => ({ name: f.name, maxVersionLevel: f.level, minVersionLevel: f.level })),
        zkMigrationReady: false,
      };
    },
  };
}
