/**
 * The console's management pages in headless Chromium, against a SASL_PLAINTEXT broker with
 * StandardAuthorizer whose console speaks as the super user `admin` (console.client.*):
 * - ACLs: adding an ALLOW for alice lets KafkaJS (as alice) produce; a DENY on WRITE makes it
 *   fail with TOPIC_AUTHORIZATION_FAILED; deleting that binding from its row lets it produce
 *   again; a principal without a type comes back as Kafka's sentence;
 * - quotas: a producer_byte_rate set for alice is listed and `samsa configs --describe` prints it;
 *   removing it from its row removes it;
 * - transactions: a KafkaJS transactional producer leaves a transaction open; the producers view
 *   offers to abort it, and then a read_committed kcat reads past it;
 * - SCRAM users: a credential set from the form lets kcat log in with SCRAM-SHA-256; deleted
 *   from its row, kcat is refused.
 * Screenshots go to test-artifacts/console/admin-*.png. Skipped without Chromium or kcat unless
 * SAMSA_REQUIRE_CHROMIUM is set.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { Broker } from '../../src/broker/broker.js';
import { registerConsoleService } from '../../src/cli/console-service.js';
import { installed, run } from '../helpers/broker.js';
import { chromiumMissing, launchChromium, mayRun, OpenClients, openConsole } from '../helpers/console-browser.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const USERS = { alice: 'alice-secret', admin: 'admin-secret' } as const;
type User = keyof typeof USERS;
const plainLogin = (u: User): string => `org.apache.kafka.common.security.plain.PlainLoginModule required username="${u}" password="${USERS[u]}";`;
const GUARDED = 'guarded';
const PENDING = 'pending';

const missing = (await chromiumMissing()) ?? ((await installed('kcat', ['-V'])) ? null : 'kcat is not installed (Debian package kcat)');

test('the console manages ACLs, quotas, transactions and SCRAM users: KafkaJS is denied and allowed as the ACLs say, samsa configs sees the quota, kcat reads past an aborted transaction and logs in with a credential set here', { timeout: 90_000 }, async (t) => {
  if (!mayRun(t, missing)) return;
  registerConsoleService();
  const dir = await mkdtemp(join(tmpdir(), 'samsa-console-admin-'));
  const broker = await Broker.start({
    config: {
      'log.dirs': dir, listeners: 'SASL_PLAINTEXT://127.0.0.1:0', 'sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256', 'connection.failed.authentication.delay.ms': '10',
      'sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required ${Object.entries(USERS).map(([u, p]) => `user_${u}="${p}"`).join(' ')};`,
      'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer', 'super.users': 'User:admin',
      'console.listener': 'http://127.0.0.1:0', 'console.client.security.protocol': 'SASL_PLAINTEXT', 'console.client.sasl.mechanism': 'PLAIN', 'console.client.sasl.jaas.config': plainLogin('admin'),
      'offsets.topic.replication.factor': '1', 'transaction.state.log.replication.factor': '1', 'transaction.state.log.min.isr': '1', 'group.initial.rebalance.delay.ms': '0',
    },
  });
  const base = broker.serviceUrl('console.listener');
  assert.ok(base !== null, 'the broker serves the console');
  const bs = `127.0.0.1:${broker.port}`;
  const kafkajs = (u: User) => new Kafka({ brokers: [bs], clientId: `console-${u}`, sasl: { mechanism: 'plain', username: u, password: USERS[u] }, logLevel: logLevel.NOTHING, retry: { retries: 8, initialRetryTime: 100 } });
  const adminProps = join(dir, 'admin.properties');
  await writeFile(adminProps, `security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\nsasl.jaas.config=${plainLogin('admin')}\n`);
  const kcatAdmin = ['-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=PLAIN', '-X', 'sasl.username=admin', '-X', `sasl.password=${USERS.admin}`];
  const browser = await launchChromium();
  const clients = new OpenClients();
  const connected = <T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(c: T) => clients.connected(c);
  try {
    const { page, shot, go, submit, text } = await openConsole(browser, base, 'admin-');
    const clickAndWait = (sel: string) => Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click(sel)]);
    const fill = async (sel: string, value: string) => {
      await page.$eval(sel, (e) => void ((e as unknown as { value: string }).value = ''));
      await page.type(sel, value);
    };
    /** Clicks the button in the row of `table` whose text includes `rowText`. */
    const clickInRow = async (table: string, rowText: string) => {
      const rows = await page.$$(`${table} tbody tr`);
      for (const row of rows) {
        if (!(await row.evaluate((r) => r.textContent ?? '')).includes(rowText)) continue;
        const button = await row.$('button');
        assert.ok(button !== null, `the row with ${rowText} has a button`);
        await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), button.click()]);
        return;
      }
      assert.fail(`no row of ${table} shows ${rowText}`);
    };

    const admin = await connected(kafkajs('admin').admin());
    await admin.createTopics({ topics: [{ topic: GUARDED, numPartitions: 1 }, { topic: PENDING, numPartitions: 1 }], waitForLeaders: true });
    const alice = await connected(kafkajs('alice').producer({ allowAutoTopicCreation: false }));
    /** 'ok', or the Kafka error type KafkaJS names (it wraps a metadata refusal in a non-retriable error). */
    type KafkaJSError = { type?: string; message: string; cause?: KafkaJSError };
    const errorType = (err: KafkaJSError): string => err.type ?? (err.cause ? errorType(err.cause) : err.message);
    const aliceSends = () => alice.send({ topic: GUARDED, acks: -1, messages: [{ value: 'from-alice' }] }).then(() => 'ok', errorType);
    assert.equal(await aliceSends(), 'TOPIC_AUTHORIZATION_FAILED', 'without ACLs alice may not write');

    // ACLs: an ALLOW for alice from the form lets her produce.
    await go('/acls');
    assert.match(await text('main'), /No ACLs\./);
    const addAcl = async (o: { name: string; principal: string; operation: string; permission: string }) => {
      await page.select('#create-acl select[name=resourceType]', 'TOPIC');
      await fill('#create-acl input[name=resourceName]', o.name);
      await fill('#create-acl input[name=principal]', o.principal);
      await page.select('#create-acl select[name=operation]', o.operation);
      await page.select('#create-acl select[name=permissionType]', o.permission);
      await submit('#create-acl');
    };
    await addAcl({ name: GUARDED, principal: 'User:alice', operation: 'ALL', permission: 'ALLOW' });
    assert.match(await text('#flash'), /Added ACL ResourcePattern\(resourceType=TOPIC, name=guarded, patternType=LITERAL\) \(principal=User:alice, host=\*, operation=ALL, permissionType=ALLOW\)/);
    assert.match(await text('#acls tbody'), /User:alice.*all.*allow/);
    await shot('01-acl-allow');
    assert.equal(await aliceSends(), 'ok', 'the ALLOW lets alice write');

    // A DENY on WRITE wins over it; KafkaJS is refused with TOPIC_AUTHORIZATION_FAILED.
    await addAcl({ name: GUARDED, principal: 'User:alice', operation: 'WRITE', permission: 'DENY' });
    assert.equal((await page.$$('#acls tbody tr')).length, 2);
    await shot('02-acl-deny');
    assert.equal(await aliceSends(), 'TOPIC_AUTHORIZATION_FAILED', 'the DENY refuses alice');

    // The broker's own sentence for a binding it refuses.
    await addAcl({ name: GUARDED, principal: 'alice', operation: 'READ', permission: 'ALLOW' });
    assert.match(await text('#flash.error'), /Invalid principal 'alice': expected principalType:name/);
    await shot('03-acl-refused');

    // Deleting the DENY from its row: only that binding goes, and alice writes again.
    await clickInRow('#acls', 'deny');
    assert.match(await text('#flash'), /Deleted ACL .*operation=WRITE, permissionType=DENY/);
    assert.equal((await page.$$('#acls tbody tr')).length, 1);
    assert.doesNotMatch(await text('#acls tbody'), /deny/);
    await shot('04-acl-deleted');
    assert.equal(await aliceSends(), 'ok', 'without the DENY alice writes again');

    // A name with markup and quotes shows as text, and its delete button's exact filter still matches it.
    const marked = `<img src=x onerror="window.__xss=1">'&`;
    await addAcl({ name: marked, principal: 'User:alice', operation: 'READ', permission: 'ALLOW' });
    assert.ok((await text('#acls tbody')).includes(marked));
    assert.equal(await page.$('#acls img'), null, 'no element was made from the name');
    assert.equal(await page.evaluate('window.__xss'), undefined);
    await clickInRow('#acls', marked);
    assert.match(await text('#flash'), /Deleted ACL .*operation=READ/);
    assert.equal((await page.$$('#acls tbody tr')).length, 1);

    // A post from another site is refused.
    const forged = await fetch(new URL('/acls', base), { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'resourceType=TOPIC&resourceName=x&patternType=LITERAL&principal=User:x&operation=ALL&permissionType=ALLOW' });
    assert.equal(forged.status, 403);

    // Quotas: set producer_byte_rate for alice; samsa configs sees it; removing it from its row.
    const describeQuotas = async () => {
      const r = await run(process.execPath, [CLI, 'configs', '--bootstrap-server', bs, '--command-config', adminProps, '--describe', '--entity-type', 'users', '--entity-name', 'alice'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout;
    };
    await go('/quotas');
    assert.match(await text('main'), /No quotas set\./);
    await page.select('#set-quota select[name=entityType]', 'user');
    await fill('#set-quota input[name=user]', 'alice');
    await page.select('#set-quota select[name=key]', 'producer_byte_rate');
    await fill('#set-quota input[name=value]', '1048576');
    await submit('#set-quota');
    assert.match(await text('#flash'), /Set producer_byte_rate=1048576 for user=alice/);
    assert.match(await text('#quotas tbody'), /user=alice\s*producer_byte_rate\s*1048576/);
    await shot('05-quota-set');
    assert.match(await describeQuotas(), /Quota configs for user-principal 'alice' are producer_byte_rate=1048576(\.0)?/);
    await clickInRow('#quotas', 'producer_byte_rate');
    assert.match(await text('#flash'), /Removed producer_byte_rate from user=alice/);
    assert.match(await text('main'), /No quotas set\./);
    await shot('06-quota-removed');
    assert.doesNotMatch(await describeQuotas(), /producer_byte_rate/);
    // Default entities: blank names; an ip entity takes connection_creation_rate.
    await page.select('#set-quota select[name=entityType]', 'user+client-id');
    await fill('#set-quota input[name=user]', '');
    await page.select('#set-quota select[name=key]', 'consumer_byte_rate');
    await fill('#set-quota input[name=value]', '2048');
    await submit('#set-quota');
    assert.match(await text('#quotas tbody'), /user=<default>, client-id=<default>\s*consumer_byte_rate\s*2048/);
    await page.select('#set-quota select[name=entityType]', 'ip');
    await page.select('#set-quota select[name=key]', 'connection_creation_rate');
    await fill('#set-quota input[name=value]', '50');
    await submit('#set-quota');
    assert.match(await text('#quotas tbody'), /ip=<default>\s*connection_creation_rate\s*50/);
    await shot('06b-quota-defaults');
    await clickInRow('#quotas', 'consumer_byte_rate');
    await clickInRow('#quotas', 'connection_creation_rate');
    assert.match(await text('main'), /No quotas set\./);

    // Transactions: KafkaJS leaves one open on `pending`; read_committed stops at it until it is aborted here.
    const plain = await connected(kafkajs('admin').producer({ allowAutoTopicCreation: false }));
    const txProducer = await connected(kafkajs('admin').producer({ transactionalId: 'hanging-txn', maxInFlightRequests: 1, idempotent: true, allowAutoTopicCreation: false }));
    await plain.send({ topic: PENDING, acks: -1, messages: [{ value: 'before' }] });
    const txn = await txProducer.transaction();
    await txn.send({ topic: PENDING, messages: [{ value: 'in-txn-0' }, { value: 'in-txn-1' }] });
    await plain.send({ topic: PENDING, acks: -1, messages: [{ value: 'after' }] });
    const readCommitted = async (): Promise<string[]> => {
      const r = await run('kcat', ['-b', bs, ...kcatAdmin, '-C', '-t', PENDING, '-p', '0', '-o', 'beginning', '-e', '-q', '-X', 'isolation.level=read_committed', '-f', '%s\\n'], { timeoutMs: 30_000 });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter((l) => l !== '');
    };
    assert.deepEqual(await readCommitted(), ['before'], 'read_committed stops at the open transaction');

    await go('/transactions');
    assert.match(await text('#transactions'), /hanging-txn/);
    await clickAndWait('#transactions a');
    assert.match(await text('#transaction'), /Ongoing/);
    assert.match(await text('#transaction-partitions'), new RegExp(PENDING));
    await shot('07-transaction-described');
    await clickAndWait('#transaction-partitions a[href^="/transactions?"]');
    assert.match(await text('#producers'), /Abort transaction/);
    await shot('08-producers-open-transaction');
    await clickInRow('#producers', 'Abort transaction');
    assert.match(await text('#flash'), /Aborted the open transaction of producer \d+ \(epoch \d+\) on pending-0/);
    assert.doesNotMatch(await text('main'), /Abort transaction/);
    await shot('09-transaction-aborted');
    assert.deepEqual(await readCommitted(), ['before', 'after'], 'read_committed reads past the aborted records');

    // SCRAM users: a credential from the form logs kcat in; deleted, it no longer does.
    const kcatCarol = () => run('kcat', ['-b', bs, '-X', 'security.protocol=SASL_PLAINTEXT', '-X', 'sasl.mechanisms=SCRAM-SHA-256', '-X', 'sasl.username=carol', '-X', 'sasl.password=carol-secret', '-L', '-m', '3'], { timeoutMs: 30_000 });
    await go('/users');
    assert.match(await text('main'), /No SCRAM credentials\./);
    await fill('#set-credential input[name=user]', 'carol');
    await page.select('#set-credential select[name=mechanism]', 'SCRAM-SHA-256');
    await fill('#set-credential input[name=password]', 'carol-secret');
    await submit('#set-credential');
    assert.match(await text('#flash'), /Set a SCRAM-SHA-256 credential \(4096 iterations\) for carol/);
    assert.match(await text('#users tbody'), /carol\s*SCRAM-SHA-256\s*4096/);
    assert.doesNotMatch(await page.content(), /carol-secret/, 'the password is not echoed');
    await shot('10-scram-user-set');
    const loggedIn = await kcatCarol();
    assert.equal(loggedIn.code, 0, loggedIn.stderr);
    await clickInRow('#users', 'carol');
    assert.match(await text('#flash'), /Deleted the SCRAM-SHA-256 credential of carol/);
    await shot('11-scram-user-deleted');
    const refused = await kcatCarol();
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256/);
  } finally {
    await clients.disconnectAll();
    await browser.close();
    await broker.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
