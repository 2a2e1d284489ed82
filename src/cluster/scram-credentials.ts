/**
 * SCRAM credentials in the cluster metadata, as Kafka keeps UserScramCredentialRecords: per user
 * and mechanism the salt, stored key, server key and iteration count (never a password). Kept as
 * keyed records of kind 'scram' under `<mechanism>:<user>`, so a credential set through any
 * broker is the one every broker checks at the next login.
 */
import type { KeyedRecordStore } from './store/keyed-records.js';
import { SCRAM_MECHANISMS, scramMechanism, type ScramCredential, type ScramMechanism } from '../protocol/sasl-scram.js';

interface StoredCredential {
  salt: string;
  storedKey: string;
  serverKey: string;
  iterations: number;
}

export function scramKey(user: string, m: ScramMechanism): string {
  return `${m.name}:${user}`;
}

/** One change of an AlterUserScramCredentials request: a credential to set, or null to delete. */
export interface ScramChange {
  user: string;
  mechanism: ScramMechanism;
  credential: ScramCredential | null;
}

export class ScramCredentials {
  constructor(private readonly store: KeyedRecordStore) {}

  get(user: string, m: ScramMechanism): ScramCredential | undefined {
    const v = this.store.records('scram').get(scramKey(user, m)) as StoredCredential | undefined;
    if (v === undefined) return undefined;
    return { salt: Buffer.from(v.salt, 'base64'), storedKey: Buffer.from(v.storedKey, 'base64'), serverKey: Buffer.from(v.serverKey, 'base64'), iterations: v.iterations };
  }

  /** Every user with a credential: user → mechanism → iterations. */
  users(): Map<string, Map<ScramMechanism, number>> {
    const out = new Map<string, Map<ScramMechanism, number>>();
    for (const [key, value] of this.store.records('scram')) {
      const colon = key.indexOf(':');
      const m = scramMechanism(key.slice(0, colon));
      if (m === undefined) continue;
      const user = key.slice(colon + 1);
      let byMechanism = out.get(user);
      if (byMechanism === undefined) out.set(user, (byMechanism = new Map()));
      byMechanism.set(m, (value as StoredCredential).iterations);
    }
    for (const byMechanism of out.values()) {
      const sorted = [...byMechanism].sort((a, b) => SCRAM_MECHANISMS.indexOf(a[0]) - SCRAM_MECHANISMS.indexOf(b[0]));
      byMechanism.clear();
      for (const [m, i] of sorted) byMechanism.set(m, i);
    }
    return out;
  }

  /** Applies the changes together; resolves once they are stored. */
  apply(changes: readonly ScramChange[]): Promise<void> {
    return this.store.putRecords(
      'scram',
      changes.map((c) => ({
        key: scramKey(c.user, c.mechanism),
        value:
          c.credential === null
            ? null
            : {
                salt: c.credential.salt.toString('base64'),
                storedKey: c.credential.storedKey.toString('base64'),
                serverKey: c.credential.serverKey.toString('base64'),
                iterations: c.credential.iterations,
              },
      })),
    );
  }
}
