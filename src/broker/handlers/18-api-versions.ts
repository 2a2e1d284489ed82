// ApiVersions (key 18), versions 0–4.
// v0–v2: the list of APIs with their version ranges. v1+ adds throttle time.
// v3+: flexible; the client's software name and version are kept on the connection (KIP-714's
// client_software_name / client_software_version selectors).
// v4: same as v3. Not done: supported/finalized features (KIP-584) are left empty.
// An unknown version never reaches here: the connection answers it (see connection.ts).
import { API_VERSIONS_KEY } from '../../protocol/headers.js';
import { ApiVersionsRequestSchema, ApiVersionsResponseSchema, type ApiVersionsRequest, type ApiVersionsResponse } from '../../protocol/messages/18-api-versions.js';
import type { Handler } from '../handler.js';

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
      const apiKeys = [...all()]
        .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }))
        .sort((a, b) => a.apiKey - b.apiKey);
      return { errorCode: 0, apiKeys, throttleTimeMs: 0, supportedFeatures: [], finalizedFeaturesEpoch: -1, finalizedFeatures: [], zkMigrationReady: false };
    },
  };
}
