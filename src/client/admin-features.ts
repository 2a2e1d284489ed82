/**
 * Admin.describeFeatures, as Kafka's Admin answers it (KIP-584): ApiVersions v3+ from any broker,
 * its supported feature ranges and the finalized levels with their epoch; and Admin.updateFeatures
 * (UpdateFeatures), which kafka-features.sh upgrade / downgrade / disable send.
 */
import { ErrorCode, KafkaError, errorName } from '../protocol/errors.js';
import type { ApiVersionsRequest, ApiVersionsResponse } from '../protocol/messages/18-api-versions.js';
import type { UpdateFeaturesRequest, UpdateFeaturesResponse } from '../protocol/messages/57-update-features.js';
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

const UPDATE_FEATURES_KEY = 57;

export type FeatureUpgradeType = 'upgrade' | 'safe-downgrade' | 'unsafe-downgrade';
const UPGRADE_TYPES: Record<FeatureUpgradeType, number> = { upgrade: 1, 'safe-downgrade': 2, 'unsafe-downgrade': 3 };

export interface FeatureUpdate {
  feature: string;
  /** The new finalized level; 0 disables the feature. */
  level: number;
  upgradeType: FeatureUpgradeType;
}

/**
 * Admin.updateFeatures: UpdateFeatures to the controller, all updates applied together or none
 * (Kafka 4); a refusal throws a KafkaError carrying the broker's sentence.
 */
export async function updateFeatures(cluster: Cluster, updates: readonly FeatureUpdate[], opts: { validateOnly?: boolean; timeoutMs?: number } = {}): Promise<void> {
  const resp = await cluster.withRetry(async () => {
    const conn = await cluster.controllerConnection();
    const version = conn.versionFor(UPDATE_FEATURES_KEY, 2, 1);
    return conn.request<UpdateFeaturesRequest, UpdateFeaturesResponse>(UPDATE_FEATURES_KEY, version, {
      timeoutMs: opts.timeoutMs ?? 60_000,
      featureUpdates: updates.map((u) => ({ feature: u.feature, maxVersionLevel: u.level, allowDowngrade: u.upgradeType !== 'upgrade', upgradeType: UPGRADE_TYPES[u.upgradeType] })),
      validateOnly: opts.validateOnly ?? false,
    });
  });
  const failed = resp.errorCode !== ErrorCode.NONE ? resp : resp.results.find((r) => r.errorCode !== ErrorCode.NONE);
  if (failed !== undefined) throw new KafkaError(failed.errorCode, failed.errorMessage ?? errorName(failed.errorCode));
}
