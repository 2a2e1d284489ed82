/**
 * Group configs (KIP-848, KIP-932; Kafka 4's GroupConfig): per-group overrides of the group
 * coordinator's settings, set with IncrementalAlterConfigs on resource type GROUP (32) and kept as
 * keyed records of kind 'group-config' (key: the group id, value: its overrides), so every broker
 * sees a change at once. A key a group does not set takes the broker's value in force
 * (`group.consumer.session.timeout.ms`, …). Names and values are checked as Kafka checks them,
 * with its sentences, against the broker's min/max bounds.
 */
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { KeyedRecordStore } from './store/keyed-records.js';

type Kind = 'int' | 'string' | 'boolean';

interface GroupConfigDef {
  kind: Kind;
  /** The broker key whose value in force is the group's default. */
  brokerKey: string | null;
  /** Kafka's default when the broker key has none. */
  fallback: string;
  /** Kafka's atLeast(n) on the key itself. */
  atLeast?: number;
  /** The broker keys bounding the value, with their defaults. */
  min?: [string, number];
  max?: [string, number];
  /** The allowed values of a string key (lower case). */
  oneOf?: readonly string[];
}

/** Kafka 4.2's GroupConfig keys, in its order. */
export const GROUP_CONFIGS: Readonly<Record<string, GroupConfigDef>> = {
  'consumer.session.timeout.ms': { kind: 'int', brokerKey: 'group.consumer.session.timeout.ms', fallback: '45000', atLeast: 1, min: ['group.consumer.min.session.timeout.ms', 45000], max: ['group.consumer.max.session.timeout.ms', 60000] },
  'consumer.heartbeat.interval.ms': { kind: 'int', brokerKey: 'group.consumer.heartbeat.interval.ms', fallback: '5000', atLeast: 1, min: ['group.consumer.min.heartbeat.interval.ms', 5000], max: ['group.consumer.max.heartbeat.interval.ms', 15000] },
  'share.session.timeout.ms': { kind: 'int', brokerKey: 'group.share.session.timeout.ms', fallback: '45000', atLeast: 1, min: ['group.share.min.session.timeout.ms', 45000], max: ['group.share.max.session.timeout.ms', 60000] },
  'share.heartbeat.interval.ms': { kind: 'int', brokerKey: 'group.share.heartbeat.interval.ms', fallback: '5000', atLeast: 1, min: ['group.share.min.heartbeat.interval.ms', 5000], max: ['group.share.max.heartbeat.interval.ms', 15000] },
  'share.record.lock.duration.ms': { kind: 'int', brokerKey: 'group.share.record.lock.duration.ms', fallback: '30000', atLeast: 1000, min: ['group.share.min.record.lock.duration.ms', 15000], max: ['group.share.max.record.lock.duration.ms', 60000] },
  'share.delivery.count.limit': { kind: 'int', brokerKey: 'group.share.delivery.count.limit', fallback: '5', atLeast: 2, min: ['group.share.min.delivery.count.limit', 2], max: ['group.share.max.delivery.count.limit', 10] },
  'share.partition.max.record.locks': { kind: 'int', brokerKey: 'group.share.partition.max.record.locks', fallback: '2000', atLeast: 100, min: ['group.share.min.partition.max.record.locks', 100], max: ['group.share.max.partition.max.record.locks', 10000] },
  'share.auto.offset.reset': { kind: 'string', brokerKey: null, fallback: 'latest' },
  'share.isolation.level': { kind: 'string', brokerKey: null, fallback: 'read_uncommitted', oneOf: ['read_committed', 'read_uncommitted'] },
  'share.renew.acknowledge.enable': { kind: 'boolean', brokerKey: null, fallback: 'true' },
  'streams.session.timeout.ms': { kind: 'int', brokerKey: 'group.streams.session.timeout.ms', fallback: '45000', atLeast: 1, min: ['group.streams.min.session.timeout.ms', 45000], max: ['group.streams.max.session.timeout.ms', 60000] },
  'streams.heartbeat.interval.ms': { kind: 'int', brokerKey: 'group.streams.heartbeat.interval.ms', fallback: '5000', atLeast: 1, min: ['group.streams.min.heartbeat.interval.ms', 5000], max: ['group.streams.max.heartbeat.interval.ms', 15000] },
  'streams.num.standby.replicas': { kind: 'int', brokerKey: 'group.streams.num.standby.replicas', fallback: '0', atLeast: 0, max: ['group.streams.max.standby.replicas', 2] },
  'streams.initial.rebalance.delay.ms': { kind: 'int', brokerKey: 'group.streams.initial.rebalance.delay.ms', fallback: '3000', atLeast: 0 },
};

/** The broker's value in force for a key (static, dynamic or Kafka's default), or null. */
export type BrokerValue = (key: string) => string | null;

/** share.auto.offset.reset: earliest, latest or by_duration:<ISO 8601 duration> (Kafka's ShareGroupAutoOffsetResetStrategy). */
function validOffsetReset(v: string): boolean {
  const s = v.trim().toLowerCase();
  return s === 'earliest' || s === 'latest' || /^by_duration:p(?:\d+d)?(?:t(?:\d+h)?(?:\d+m)?(?:\d+(?:\.\d+)?s)?)?$/.test(s) && s !== 'by_duration:p' && s !== 'by_duration:pt';
}

export class GroupConfigs {
  constructor(
    private readonly store: KeyedRecordStore,
    private readonly broker: BrokerValue,
  ) {}

  /** The group's own overrides. */
  overrides(group: string): Readonly<Record<string, string>> {
    return (this.store.records('group-config').get(group) as Record<string, string> | undefined) ?? {};
  }

  /** The value in force for the group: its override, else the broker's, else Kafka's default. */
  value(group: string, key: string): string {
    const def = GROUP_CONFIGS[key];
    if (def === undefined) throw new Error(`not a group config: ${key}`);
    return this.overrides(group)[key] ?? this.defaultOf(def);
  }

  /** An int config's value in force. */
  intValue(group: string, key: string): number {
    return Number(this.value(group, key));
  }

  defaultOf(def: GroupConfigDef): string {
    return (def.brokerKey !== null ? this.broker(def.brokerKey) : null) ?? def.fallback;
  }

  private bound(b: [string, number] | undefined): number | null {
    if (b === undefined) return null;
    const v = this.broker(b[0]);
    return v === null ? b[1] : Number(v);
  }

  /** Kafka's GroupConfig.validate: names, then each value; KafkaError INVALID_CONFIG with Kafka's sentence. */
  validate(configs: Readonly<Record<string, string>>): void {
    for (const name of Object.keys(configs)) if (GROUP_CONFIGS[name] === undefined) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Unknown group config name: ${name}`);
    for (const [name, raw] of Object.entries(configs)) {
      const def = GROUP_CONFIGS[name]!;
      if (def.kind === 'int') {
        const n = Number(raw.trim());
        if (raw.trim() === '' || !Number.isInteger(n) || n < -2147483648 || n > 2147483647)
          throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${raw} for configuration ${name}: Not a number of type INT`);
        if (def.atLeast !== undefined && n < def.atLeast) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${raw} for configuration ${name}: Value must be at least ${def.atLeast}`);
        const min = this.bound(def.min);
        const max = this.bound(def.max);
        if (min !== null && n < min) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name} must be greater than or equal to ${def.min![0]}`);
        if (max !== null && n > max) throw new KafkaError(ErrorCode.INVALID_CONFIG, `${name} must be less than or equal to ${def.max![0]}`);
      } else if (def.kind === 'boolean') {
        if (!['true', 'false'].includes(raw.trim().toLowerCase())) throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${raw} for configuration ${name}: Expected value to be either true or false`);
      } else if (def.oneOf !== undefined && !def.oneOf.includes(raw.trim().toLowerCase())) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${raw} for configuration ${name}: String must be one of: ${def.oneOf.join(', ')}`);
      } else if (name === 'share.auto.offset.reset' && !validOffsetReset(raw)) {
        throw new KafkaError(ErrorCode.INVALID_CONFIG, `Invalid value ${raw} for configuration ${name}: must be earliest, latest or by_duration:<ISO 8601 duration>, e.g. by_duration:PT1H`);
      }
    }
  }

  /** Replaces the group's overrides (an empty set deletes them); resolves once stored. */
  async set(group: string, configs: Record<string, string>): Promise<void> {
    await this.store.putRecords('group-config', [{ key: group, value: Object.keys(configs).length === 0 ? null : { ...configs } }]);
  }
}
