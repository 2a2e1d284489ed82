// ApiVersions (key 18), versions 0–4.
// v0–v2: the list of APIs with their version ranges. v1+ adds throttle time.
// v3+: flexible; the client's software name and version are kept on the connection (KIP-714's
// client_software_name / client_software_version selectors).
// v4: same as v3. v3+ features (KIP-584): group.version 1 while the KIP-848 consumer group
// protocol is served (ConsumerGroupHeartbeat), share.version 1 while share groups are
// (ShareGroupHeartbeat), transaction.version 2 (KIP-890 transactions v2: Produce v12,
// TxnOffsetCommit v5, EndTxn v5 with an epoch bump per transaction), supported and finalized.
// APIs marked unstable (the share coordinator's 83–87, as Kafka's definitions mark them) are
// listed only with unstable.api.versions.enable=true; they are served either way.
// An unknown version never reaches here: the connection answers it (see connection.ts).
import { API_VERSIONS_KEY } from '../../protocol/headers.js';
import { ApiVersionsRequestSchema, ApiVersionsResponseSchema, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/18-api-versions.js';
import type { Handler } from '../handler.js';

/** The features served, by the handlers that serve them: [name, API key that proves it, level]. */
const FEATURES: ReadonlyArray<[string, number, number]> = [
  ['group.version', 68, 1],
  ['share.version', 76, 1],
  ['transaction.version', 26, 2],
];

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
      const served = FEATURES.filter(([, key]) => handlers.some((h) => h.apiKey === key));
      return {
        errorCode: 0, apiKeys, throttleTimeMs: 0,
        supportedFeatures: served.map(([name, , level]) => ({ name, minVersion: 0, maxVersion: level })),
        finalizedFeaturesEpoch: served.length === 0 ? -1 : 1,
        finalizedFeatures: served.map(([name, , level]) => ({ name, maxVersionLevel: level, minVersionLevel: level })),
        zkMigrationReady: false,
      };
    },
  };
}
