/**
 * Finalized feature levels (KIP-584), as Kafka's FeatureControlManager keeps them: each feature
 * Samsa serves has a supported range 0..max and a finalized level, Kafka 4's default until an
 * UpdateFeatures changes it. A change is stored as a keyed record of kind 'feature' (key: the
 * feature's name, value: its level and the features' epoch after the change), so every broker of
 * a cluster finalizes the same levels and a restart keeps them. Level 0 disables a feature (and
 * leaves it out of ApiVersions' finalized list, as Kafka does).
 *
 * What a level turns on: group.version 1 the KIP-848 consumer protocol (ConsumerGroupHeartbeat
 * and ConsumerGroupDescribe), share.version 1 share groups (ShareGroupHeartbeat, ShareFetch, …),
 * transaction.version 2 transactions v2, which a client uses when the broker finalizes it.
 */
import { ErrorCode } from '../protocol/errors.js';
import type { KeyedRecordStore } from './store/keyed-records.js';

export interface FeatureSpec {
  name: string;
  /** The highest level this broker supports (the lowest is 0). */
  maxLevel: number;
  /** The level finalized until an UpdateFeatures changes it (Kafka 4.2's default for a new cluster). */
  defaultLevel: number;
}

export const FEATURE_SPECS: readonly FeatureSpec[] = [
  { name: 'group.version', maxLevel: 1, defaultLevel: 1 },
  { name: 'share.version', maxLevel: 1, defaultLevel: 1 },
  { name: 'transaction.version', maxLevel: 2, defaultLevel: 2 },
];

/** Kafka's FeatureUpdate.UpgradeType (UpdateFeatures v1+; v0's AllowDowngrade maps to 1 or 2). */
export const UpgradeType = { UPGRADE: 1, SAFE_DOWNGRADE: 2, UNSAFE_DOWNGRADE: 3 } as const;

export interface FeatureUpdate {
  feature: string;
  level: number;
  upgradeType: number;
}

export interface FeatureError {
  errorCode: number;
  errorMessage: string | null;
}

interface StoredLevel {
  level: number;
  epoch: number;
}

export class FeatureLevels {
  constructor(
    private readonly store: KeyedRecordStore,
    private readonly nodeId: number,
  ) {}

  /** A feature's finalized level (its default when never changed; 0 for a feature Samsa does not know). */
  level(name: string): number {
    const stored = this.store.records('feature').get(name) as StoredLevel | undefined;
    return stored?.level ?? FEATURE_SPECS.find((f) => f.name === name)?.defaultLevel ?? 0;
  }

  /** The epoch of the finalized features: 1 before any change, then one more per change. */
  epoch(): number {
    let epoch = 1;
    for (const v of this.store.records('feature').values()) epoch = Math.max(epoch, (v as StoredLevel).epoch);
    return epoch;
  }

  /** The features finalized above 0, as ApiVersions lists them. */
  finalized(): Array<{ name: string; level: number }> {
    return FEATURE_SPECS.map((f) => ({ name: f.name, level: this.level(f.name) })).filter((f) => f.level > 0);
  }

  /**
   * Kafka 4's updateFeatures: all or nothing — the first update refused (INVALID_UPDATE_VERSION
   * with Kafka's sentence) refuses the request, else every level is stored in one write (none
   * with `validateOnly`).
   */
  async update(updates: readonly FeatureUpdate[], validateOnly: boolean): Promise<FeatureError> {
    for (const u of updates) {
      const refused = this.check(u);
      if (refused.errorCode !== ErrorCode.NONE) return refused;
    }
    if (!validateOnly && updates.length > 0) {
      const epoch = this.epoch() + 1;
      await this.store.putRecords('feature', updates.map((u) => ({ key: u.feature, value: { level: u.level, epoch } satisfies StoredLevel })));
    }
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }

  private check(u: FeatureUpdate): FeatureError {
    const invalid = (why: string) => ({ errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: `Invalid update version ${u.level} for feature ${u.feature}. ${why}` });
    if (!Object.values(UpgradeType).includes(u.upgradeType as 1)) return invalid('The controller does not support the given upgrade type.');
    if (u.level < 0) return invalid('A feature version cannot be less than 0.');
    const spec = FEATURE_SPECS.find((f) => f.name === u.feature);
    if (spec === undefined) return invalid(`Local controller ${this.nodeId} does not support this feature.`);
    if (u.level > spec.maxLevel) return invalid(`Local controller ${this.nodeId} only supports versions 0-${spec.maxLevel}`);
    const current = this.level(u.feature);
    if (u.level < current && u.upgradeType === UpgradeType.UPGRADE)
      return invalid("Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade.");
    if (u.level > current && u.upgradeType !== UpgradeType.UPGRADE) return invalid("Can't downgrade to a newer version.");
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }
}
