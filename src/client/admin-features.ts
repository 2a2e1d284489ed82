/**
 * Admin.describeFeatures, as Kafka's Admin answers it (KIP-584): ApiVersions v3+ from any broker,
 * its supported feature ranges and the finalized levels with their epoch.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages/18-api-versions.js';
import type { Cluster } from './cluster.js';

const API_VERSIONS_KEY = 18;

export interface FeatureMetadata {
  /** Feature name → the levels the broker supports. */
  supported: Map<string, { minVersion: number; maxVersion: number }>;
  /** Feature name → the finalized level range (a feature absent here is not enabled). */
  finalized: Map<string, { minVersionLevel: number; maxVersionLevel: number }>;
  /** The epoch of the finalized levels; null when the broker finalizes none. */
  finalizedEpoch: number | null;
}

export async function describeFeatures(cluster: Cluster): Promise<FeatureMetadata> {
  return cluster.withRetry(async () => {
    const conn = await cluster.anyConnection();
    const version = conn.versionFor(API_VERSIONS_KEY, 3, 3);
    const resp = await conn.request<ApiVersionsRequest, ApiVersionsResponse>(API_VERSIONS_KEY, version, { clientSoftwareName: 'samsa-admin', clientSoftwareVersion: '0' });
    if (resp.errorCode !== ErrorCode.NONE) throw new KafkaError(resp.errorCode, `ApiVersions failed: ${errorName(resp.errorCode)}`);
    return {
      supported: new Map(resp.supportedFeatures.map((f) => [f.name, { minVersion: f.minVersion, maxVersion: f.maxVersion }])),
      finalized: new Map(resp.finalizedFeatures.map((f) => [f.name, { minVersionLevel: f.minVersionLevel, maxVersionLevel: f.maxVersionLevel }])),
      finalizedEpoch: resp.finalizedFeaturesEpoch >= 0 ? resp.finalizedFeaturesEpoch : null,
    };
  });
}
