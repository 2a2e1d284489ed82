/**
 * Client quotas without a broker: Kafka's rate over windowed samples and its throttle time, a
 * client that obeys every throttle settling at its quota, the eight-level precedence of entities,
 * record keys that round-trip any name, and Kafka's checks and filters for the two quota APIs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KAFKA_RATE_WINDOWS, WindowedRate, recordAndGetThrottleMs, throttleTimeMs } from '../../../src/broker/quota-rate.js';
import { ClientQuotaManager, userOf } from '../../../src/broker/client-quota-manager.js';
import { KeyedRecords } from '../../../src/cluster/store/keyed-records.js';
import { alterationChanges, describeQuotas, parseRecordKey, quotaEntries, recordKey, MATCH_DEFAULT, MATCH_EXACT, MATCH_SPECIFIED, type QuotaEntity } from '../../../src/cluster/client-quotas.js';
import { KafkaError } from '../../../src/protocol/errors.js';

test('a first burst is measured over N−1 full windows, and the throttle time is (O − T) / T × W', () => {
  const r = new WindowedRate(KAFKA_RATE_WINDOWS);
  r.record(1000, 0);
  assert.equal(r.windowSizeMs(0), 10_000, 'ten whole windows are assumed at first');
  assert.equal(r.measure(0), 100);
  assert.equal(throttleTimeMs(200, 100, 10_000), 10_000);
  const fresh = new WindowedRate(KAFKA_RATE_WINDOWS);
  assert.equal(recordAndGetThrottleMs(fresh, 2000, 100, 0), 10_000, '2000 bytes at 100 B/s over 10 s: 200 B/s, 10 s to wait');
  assert.equal(recordAndGetThrottleMs(new WindowedRate(KAFKA_RATE_WINDOWS), 500, 100, 0), 0, 'within the quota');
  assert.equal(recordAndGetThrottleMs(new WindowedRate(KAFKA_RATE_WINDOWS), 2000, 100, 0, 1000), 1000, 'capped (request time)');
  // Samples older than the whole span are dropped.
  r.record(1, 11_000);
  assert.ok(r.measure(11_000) < 1, 'the first burst has expired');
});

test('a client that waits out every throttle gets its quota with Kafka\'s default windows: within 2 % once past the first burst', () => {
  const quota = 50_000;
  const r = new WindowedRate(KAFKA_RATE_WINDOWS);
  let now = 0;
  let sent = 0;
  let steady: { atMs: number; sent: number } | null = null;
  const batch = 16_384;
  // Two simulated minutes: send a batch, wait the throttle time (and a 5 ms round trip).
  while (now < 120_000) {
    const t = recordAndGetThrottleMs(r, batch, quota, now);
    sent += batch;
    now += 5 + t;
    if (steady === null && now >= 30_000) steady = { atMs: now, sent };
  }
  const overall = sent / (now / 1000);
  // The first ten windows' worth goes through at once (N−1 full windows are assumed), then the rate holds.
  assert.ok(Math.abs(overall - quota) / quota < 0.05, `overall ${overall.toFixed(0)} B/s against ${quota}`);
  const after = (sent - steady!.sent) / ((now - steady!.atMs) / 1000);
  assert.ok(Math.abs(after - quota) / quota < 0.02, `steady ${after.toFixed(0)} B/s against ${quota}`);
});

function managerWith(quotas: Array<[QuotaEntity, string, number]>): ClientQuotaManager {
  const records = new KeyedRecords();
  records.apply('quota', quotas.map(([e, k, v]) => ({ key: recordKey(e, k), value: v })));
  return new ClientQuotaManager({ records: (k) => records.get(k), recordsVersion: (k) => records.version(k) }, KAFKA_RATE_WINDOWS);
}

test('the quota in force follows Kafka\'s eight levels, most specific first', () => {
  const levels: Array<[QuotaEntity, number]> = [
    [{ user: 'alice', 'client-id': 'app' }, 1],
    [{ user: 'alice', 'client-id': null }, 2],
    [{ user: 'alice' }, 3],
    [{ user: null, 'client-id': 'app' }, 4],
    [{ user: null, 'client-id': null }, 5],
    [{ user: null }, 6],
    [{ 'client-id': 'app' }, 7],
    [{ 'client-id': null }, 8],
  ];
  for (let i = 0; i < levels.length; i++) {
    const m = managerWith(levels.slice(i).map(([e, v]) => [e, 'producer_byte_rate', v]));
    assert.equal(m.quota('produce', 'User:alice', 'app'), i + 1, `level ${i + 1}`);
    assert.equal(m.quota('fetch', 'User:alice', 'app'), null, 'no consumer quota anywhere');
  }
  const m = managerWith([[{ user: 'alice' }, 'producer_byte_rate', 10], [{ 'client-id': 'app' }, 'producer_byte_rate', 20]]);
  assert.equal(m.quota('produce', 'User:bob', 'app'), 20, 'bob has no user quota: the client id\'s');
  assert.equal(m.quota('produce', 'User:bob', 'other'), null);
  assert.equal(userOf('User:alice'), 'alice');
  assert.equal(managerWith([]).enabled('produce'), false, 'no quota: nothing to do');
});

test('clients under one named entity share its rate; a default gives each client its own', () => {
  const shared = managerWith([[{ user: 'alice' }, 'producer_byte_rate', 100]]);
  assert.equal(shared.recordAndGetThrottleMs('produce', 'User:alice', 'a', 900, 0), 0);
  assert.ok(shared.recordAndGetThrottleMs('produce', 'User:alice', 'b', 900, 0) > 0, 'alice\'s second client adds to the same rate');
  const perClient = managerWith([[{ 'client-id': null }, 'producer_byte_rate', 100]]);
  assert.equal(perClient.recordAndGetThrottleMs('produce', 'User:ANONYMOUS', 'a', 900, 0), 0);
  assert.equal(perClient.recordAndGetThrottleMs('produce', 'User:ANONYMOUS', 'b', 900, 0), 0, 'each client id its own default quota');
  assert.equal(perClient.maxValueInWindow('produce', 'User:x', 'a'), 1000, 'quota × 10 windows of a second');
});

test('record keys round-trip any name, defaults apart from a name spelled <default>', () => {
  const names = ['alice', '<default>', 'a/b:c', 'x%2Fy', 'CN=alice,O=org', '名前', ' '];
  for (const user of names) for (const client of [...names, null]) {
    const e: QuotaEntity = { user, 'client-id': client };
    assert.deepEqual(parseRecordKey(recordKey(e, 'producer_byte_rate')), { entity: e, path: recordKey(e, 'x').slice(0, -2), quotaKey: 'producer_byte_rate' });
  }
  assert.equal(recordKey({ user: null, 'client-id': 'app' }, 'consumer_byte_rate'), 'users/<default>/clients/app:consumer_byte_rate');
  assert.notEqual(recordKey({ user: null }, 'k'), recordKey({ user: '<default>' }, 'k'));
  assert.equal(parseRecordKey('nonsense'), null);
});

async function refusal(entity: Array<[string, string | null]>, ops: Array<[string, number | null]>): Promise<string> {
  try {
    await alterationChanges({ entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })), ops: ops.map(([key, value]) => ({ key, value })) }, new Map());
  } catch (err) {
    assert.ok(err instanceof KafkaError);
    assert.equal(err.code, 42, 'INVALID_REQUEST');
    return err.message;
  }
  return 'accepted';
}

test('AlterClientQuotas checks entities, keys and values with Kafka\'s sentences', async () => {
  assert.equal(await refusal([], [['producer_byte_rate', 1]]), 'Invalid empty client quota entity');
  assert.equal(await refusal([['group', 'g']], [['producer_byte_rate', 1]]), 'Unhandled client quota entity type: group');
  assert.equal(await refusal([['user', '']], [['producer_byte_rate', 1]]), 'Empty user not supported');
  assert.equal(await refusal([['user', 'a']], [['bogus_rate', 1]]), 'Invalid configuration key bogus_rate');
  assert.equal(await refusal([['user', 'a']], [['producer_byte_rate', 0]]), 'Quota producer_byte_rate must be greater than 0');
  assert.equal(await refusal([['user', 'a']], [['producer_byte_rate', 1.5]]), 'producer_byte_rate cannot be a fractional value.');
  assert.equal(await refusal([['user', 'a']], [['request_percentage', 12.5]]), 'accepted');
  assert.equal(await refusal([['user', 'a']], [['connection_creation_rate', 5]]), 'Invalid configuration key connection_creation_rate');
  assert.equal(await refusal([['ip', '10.0.0.1']], [['connection_creation_rate', 2 ** 31]]), 'Proposed value for connection_creation_rate is too large for an INT.');
  assert.equal(await refusal([['ip', '10.0.0.1'], ['user', 'a']], [['connection_creation_rate', 1]]), 'Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId');
  assert.equal(await refusal([['ip', 'no.such.host.invalid']], [['connection_creation_rate', 1]]), 'no.such.host.invalid is not a valid IP or resolvable host.');
  assert.equal(await refusal([['user', 'a']], [['producer_byte_rate', 1], ['producer_byte_rate', 2]]), 'Duplicate quota key producer_byte_rate not updating quota for this entity ClientQuotaEntity(entries={user=a})');
  const current = new Map<string, unknown>([[recordKey({ user: 'a' }, 'producer_byte_rate'), 5]]);
  const changes = await alterationChanges({ entity: [{ entityType: 'user', entityName: 'a' }], ops: [{ key: 'producer_byte_rate', value: null }, { key: 'consumer_byte_rate', value: null }] }, current);
  assert.deepEqual(changes, [{ key: 'users/a:producer_byte_rate', value: null }], 'removing an unset key changes nothing');
});

test('DescribeClientQuotas filters: EXACT, DEFAULT, SPECIFIED, strict, and Kafka\'s refusals', () => {
  const records = new Map<string, unknown>([
    [recordKey({ user: 'alice' }, 'producer_byte_rate'), 1],
    [recordKey({ user: null }, 'producer_byte_rate'), 2],
    [recordKey({ user: 'alice', 'client-id': 'app' }, 'producer_byte_rate'), 3],
    [recordKey({ 'client-id': 'app' }, 'consumer_byte_rate'), 4],
    [recordKey({ ip: '10.0.0.1' }, 'connection_creation_rate'), 5],
  ]);
  const all = [...quotaEntries(records).values()];
  const pick = (components: Array<[string, number, string | null]>, strict: boolean) =>
    describeQuotas(all, components.map(([entityType, matchType, match]) => ({ entityType, matchType, match })), strict).map((e) => [...e.values.values()][0]).sort();
  assert.deepEqual(pick([['user', MATCH_EXACT, 'alice']], false), [1, 3]);
  assert.deepEqual(pick([['user', MATCH_EXACT, 'alice']], true), [1]);
  assert.deepEqual(pick([['user', MATCH_DEFAULT, null]], true), [2]);
  assert.deepEqual(pick([['user', MATCH_SPECIFIED, null]], true), [1, 2]);
  assert.deepEqual(pick([['user', MATCH_SPECIFIED, null], ['client-id', MATCH_SPECIFIED, null]], true), [3]);
  assert.deepEqual(pick([], false), [1, 2, 3, 4, 5]);
  assert.deepEqual(pick([['ip', MATCH_SPECIFIED, null]], false), [5]);
  assert.throws(() => pick([['user', MATCH_EXACT, null]], false), /Request specified MATCH_TYPE_EXACT, but set match string to null\./);
  assert.throws(() => pick([['user', MATCH_DEFAULT, 'x']], false), /MATCH_TYPE_DEFAULT, but also specified a match string/);
  assert.throws(() => pick([['user', 7, null]], false), /Unknown match type 7/);
  assert.throws(() => pick([['user', MATCH_SPECIFIED, null], ['user', MATCH_DEFAULT, null]], false), /Entity type user cannot appear more than once in the filter\./);
  assert.throws(() => pick([['ip', MATCH_SPECIFIED, null], ['user', MATCH_SPECIFIED, null]], false), /IP filter component should not be used with user or clientId filter component/);
  assert.throws(() => pick([['topic', MATCH_SPECIFIED, null]], false), (e: unknown) => e instanceof KafkaError && e.code === 35 && e.message === 'Unsupported entity type topic');
});
