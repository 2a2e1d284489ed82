/**
 * The web console in a real browser: headless Chromium (Debian's `chromium`) driven by
 * puppeteer-core against a broker that serves the console on console.listener. It clicks through
 * creating a topic, producing and browsing a message (text, JSON, hex, a filter, the live tail),
 * changing the topic, and watching a KafkaJS consumer group's lag fall to zero, then resetting it.
 * Screenshots of each page go to test-artifacts/console/. Skipped when Chromium is missing,
 * unless SAMSA_REQUIRE_CHROMIUM is set (CI sets it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Kafka, logLevel } from 'kafkajs';
import type { Page } from 'puppeteer-core';
import { registerConsoleService } from '../../src/cli/console-service.js';
import { withBroker } from '../helpers/broker.js';
import { chromiumMissing, launchChromium, mayRun, OpenClients, openConsole } from '../helpers/console-browser.js';

const TOPIC = 'console-orders';
const GROUP = 'console-readers';
/** Messages the group is behind before its consumer starts. */
const BACKLOG = 40;

const missing = await chromiumMissing();

test('the web console in Chromium: create a topic, produce, browse, change the topic, watch a KafkaJS group lag fall to zero, reset it', { timeout: 90_000 }, async (t) => {
  if (!mayRun(t, missing)) return;
  registerConsoleService();
  await withBroker(
    async (broker) => {
      const base = broker.serviceUrl('console.listener');
      assert.ok(base !== null, 'the broker serves the console');
      const browser = await launchChromium();
      const kafka = new Kafka({ clientId: 'console-test', brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
      const clients = new OpenClients();
      const connected = <T extends { connect(): Promise<void>; disconnect(): Promise<void> }>(c: T) => clients.connected(c);
      try {
        const { page, shot, go, submit, text } = await openConsole(browser, base);

        // Brokers.
        await go('/');
        assert.match(await text('#brokers'), new RegExp(`127\\.0\\.0\\.1:${broker.port}`));
        await shot('01-brokers');
        await go(`/brokers/${broker.nodeId}`);
        assert.match(await text('#broker-configs'), /num\.partitions/);
        await shot('02-broker-configs');

        // Create a topic from the topics page.
        await go('/topics');
        await page.type('#create-topic input[name=name]', TOPIC);
        await page.$eval('#create-topic input[name=partitions]', (e) => void ((e as unknown as { value: string }).value = '3'));
        await submit('#create-topic');
        assert.match(await text('#flash'), new RegExp(`Created topic ${TOPIC}`));
        assert.equal((await page.$$('#partitions tbody tr')).length, 3);
        await shot('03-topic-created');

        // Produce a message whose key, value and header carry markup: it must show as text, never run.
        await go(`/topics/${TOPIC}/produce`);
        await page.select('#produce select[name=partition]', '0');
        await page.type('#produce input[name=key]', 'order-<b>1</b>');
        await page.type('#produce textarea[name=value]', '{"id":1,"note":"<img src=x onerror=window.__xss=1>"}');
        await page.type('#produce textarea[name=headers]', 'source=<script>window.__xss=2</script>');
        await submit('#produce');
        assert.match(await text('#flash'), /Sent: partition 0, offset 0/);
        const table = await text('#messages tbody');
        assert.match(table, /order-<b>1<\/b>/);
        assert.match(table, /<img src=x onerror=window.__xss=1>/);
        assert.match(table, /source: <script>window.__xss=2<\/script>/);
        assert.equal(await page.evaluate('window.__xss'), undefined, 'nothing rendered from the message ran');
        assert.equal(await page.$('#messages img'), null, 'no element was made from the value');
        await shot('04-message-produced');

        // Browse it as JSON, as hex, and through a filter that keeps nothing.
        await page.select('#browse select[name=format]', 'json');
        await submit('#browse');
        assert.match(await text('#messages pre.value'), /\{\n {2}"id": 1,/);
        await shot('05-messages-json');
        await page.select('#browse select[name=format]', 'hex');
        await submit('#browse');
        assert.match(await text('#messages tbody'), /6f 72 64 65 72/, "the key 'order' in hex");
        await shot('06-messages-hex');
        await go(`/topics/${TOPIC}/messages?partition=0&filter=no-such-text`);
        assert.equal(await text('#shown-count'), '0');

        // The live tail shows a message produced by another client while the page is open.
        await go(`/topics/${TOPIC}/messages?partition=0`);
        await page.click('#tail');
        const producer = await connected(kafka.producer());
        await producer.send({ topic: TOPIC, messages: [{ key: 'tail', value: 'tailed-by-the-console', partition: 0 }] });
        await page.waitForFunction(`document.querySelector('#messages tbody')?.textContent?.includes('tailed-by-the-console')`, { timeout: 10_000 });
        await shot('07-messages-live-tail');

        // Change a config and add a partition from the topic page.
        await go(`/topics/${TOPIC}`);
        await page.type('#alter-config input[name=key]', 'retention.ms');
        await page.type('#alter-config input[name=value]', '3600000');
        await submit('#alter-config');
        assert.match(await text('#flash'), /Set retention\.ms=3600000/);
        await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('form[action$="/partitions"] button')]);
        assert.match(await text('#flash'), /now has 4 partitions/);
        assert.equal((await page.$$('#partitions tbody tr')).length, 4);

        // A group BACKLOG behind (KafkaJS commits offset 0 for it), then a KafkaJS consumer drains it.
        // A new producer: KafkaJS's first one still knows three partitions.
        const backlog = await connected(kafka.producer());
        await backlog.send({ topic: TOPIC, messages: Array.from({ length: BACKLOG }, (_, i) => ({ value: `m${i}`, partition: i % 4 })) });

        const admin = await connected(kafka.admin());
        await admin.setOffsets({ groupId: GROUP, topic: TOPIC, partitions: [0, 1, 2, 3].map((partition) => ({ partition, offset: '0' })) });
        const behind = BACKLOG + 2;
        await go(`/groups/${GROUP}`);
        assert.equal(await text('#total-lag'), String(behind));
        await page.waitForSelector('#lag-chart polyline');
        await shot('08-group-lagging');
        const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500 });
        let consumed = 0;
        await connected(consumer);
        await consumer.subscribe({ topic: TOPIC });
        await consumer.run({ autoCommitInterval: 200, eachMessage: async () => void consumed++ });
        await page.waitForFunction(`document.querySelector('#total-lag')?.textContent === '0'`, { timeout: 30_000 });
        assert.ok(consumed >= behind, `the consumer read the backlog (${consumed})`);
        await go(`/groups/${GROUP}`);
        assert.match(await text('#lag tbody'), /console-test/, 'the partitions show the client holding them');
        assert.match(await text('#members'), /console-test/);
        await shot('09-group-caught-up');
        await clients.disconnect(consumer);

        // Empty again, the group's offsets go back to the start from the page.
        await go(`/groups/${GROUP}`);
        await page.select('#reset-offsets select[name=to]', 'earliest');
        await submit('#reset-offsets');
        assert.match(await text('#flash'), /Reset 4 partition\(s\)/);
        await page.waitForFunction(`document.querySelector('#total-lag')?.textContent === '${behind}'`, { timeout: 10_000 });
        await shot('10-group-reset');

        await visit(page, base, '/groups', '#groups', GROUP, shot, '11-groups');
        // This broker has no authorizer: the ACLs page and a refused creation say so.
        await visit(page, base, '/acls', '#acls-error', 'authorizer.class.name', shot, '12-acls');
        await page.type('#create-acl input[name=resourceName]', TOPIC);
        await page.type('#create-acl input[name=principal]', 'User:alice');
        await submit('#create-acl');
        assert.match(await text('#flash'), /The broker has no authorizer \(authorizer\.class\.name is not set\).*SECURITY_DISABLED/);
        await visit(page, base, '/quotas', 'main', 'quotas', shot, '13-quotas');
        await visit(page, base, `/transactions?topic=${TOPIC}&partition=0`, 'main', 'Producers of', shot, '14-transactions');

        // A post from another site is refused; then the topic is deleted from its page.
        const forged = await fetch(new URL(`/topics/${TOPIC}/delete`, base), { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, body: '' });
        assert.equal(forged.status, 403);
        await go(`/topics/${TOPIC}`);
        await Promise.all([page.waitForNavigation({ waitUntil: 'domcontentloaded' }), page.click('form[action$="/delete"] button')]);
        assert.match(await text('#flash'), new RegExp(`Deleted topic ${TOPIC}`));
        await shot('15-topic-deleted');
      } finally {
        await clients.disconnectAll();
        await browser.close();
      }
    },
    { config: { 'console.listener': 'http://127.0.0.1:0', 'group.initial.rebalance.delay.ms': '0' } },
  );
});

async function visit(page: Page, base: string, path: string, sel: string, expect: string, shot: (n: string) => Promise<unknown>, name: string): Promise<void> {
  const res = await page.goto(new URL(path, base).href, { waitUntil: 'domcontentloaded' });
  assert.equal(res?.status(), 200, `GET ${path}`);
  assert.ok((await page.$eval(sel, (e) => e.textContent ?? '')).includes(expect), `${path} shows ${expect}`);
  await shot(name);
}
