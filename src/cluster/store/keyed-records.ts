/**
 * Keyed records: the metadata that is neither a topic nor a partition but a set of named entries
 * every broker applies at once — SCRAM credentials (Kafka's UserScramCredentialRecord), ACL
 * bindings (AccessControlEntryRecord), client quotas (ClientQuotaRecord) and group configs
 * (ConfigRecord of a GROUP resource), finalized feature levels (FeatureLevelRecord). Each kind is a map
 * from a key to a JSON value; a write is a batch of puts and deletes applied together. Every
 * store keeps them in one `KeyedRecords`, and readers that build an index from a kind (the
 * authorizer, the quota manager) rebuild it when the kind's `version` moves.
 */

export type RecordKind = 'scram' | 'acl' | 'quota' | 'group-config' | 'client-metrics' | 'feature';

export const RECORD_KINDS: readonly RecordKind[] = ['scram', 'acl', 'quota', 'group-config', 'client-metrics', 'feature'];

/** One change in a batch: a value to store under the key, or null to delete it. */
export interface KeyedChange {
  key: string;
  value: unknown;
}

/** The metadata's keyed records (SCRAM credentials, ACLs, quotas), whichever store keeps them. */
export interface KeyedRecordStore {
  records(kind: RecordKind): ReadonlyMap<string, unknown>;
  recordsVersion(kind: RecordKind): number;
  putRecords(kind: RecordKind, changes: readonly KeyedChange[]): Promise<void>;
}

export function isRecordKind(s: string): s is RecordKind {
  return (RECORD_KINDS as readonly string[]).includes(s);
}

export class KeyedRecords {
  private readonly maps = new Map<RecordKind, Map<string, unknown>>(RECORD_KINDS.map((k) => [k, new Map()]));
  private readonly versions = new Map<RecordKind, number>(RECORD_KINDS.map((k) => [k, 0]));

  get(kind: RecordKind): ReadonlyMap<string, unknown> {
    return this.maps.get(kind)!;
  }

  version(kind: RecordKind): number {
    return this.versions.get(kind)!;
  }

  /** Applies a batch (null values delete); bumps the kind's version once. */
  apply(kind: RecordKind, changes: readonly KeyedChange[]): void {
    const m = this.maps.get(kind)!;
    for (const c of changes) {
      if (c.value === null || c.value === undefined) m.delete(c.key);
      else m.set(c.key, c.value);
    }
    this.versions.set(kind, this.version(kind) + 1);
  }

  /** Every entry, for a snapshot. */
  *entries(): IterableIterator<{ kind: RecordKind; key: string; value: unknown }> {
    for (const [kind, m] of this.maps) for (const [key, value] of m) yield { kind, key, value };
  }
}
