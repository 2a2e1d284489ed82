import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, LogSettingsError, parseLogSettings } from '../../../src/util/logger.js';

test('SAMSA_LOG_LEVEL: a level, then levels per component; SAMSA_LOG_FORMAT json or pretty (pretty by default on a TTY)', () => {
  assert.deepEqual(parseLogSettings({}, { tty: false }), { level: 'warn', components: {}, format: 'json' });
  assert.deepEqual(parseLogSettings({}, { level: 'info', tty: true }), { level: 'info', components: {}, format: 'pretty' });
  assert.deepEqual(parseLogSettings({ SAMSA_LOG_LEVEL: 'INFO, replication=debug,etcd=error', SAMSA_LOG_FORMAT: 'json' }, { tty: true }), { level: 'info', components: { replication: 'debug', etcd: 'error' }, format: 'json' });
  assert.deepEqual(parseLogSettings({ SAMSA_LOG_LEVEL: 'replication=debug' }, { tty: false }).level, 'warn', 'components alone keep the default level');
  assert.throws(() => parseLogSettings({ SAMSA_LOG_LEVEL: 'loud' }), (e: unknown) => e instanceof LogSettingsError && /'loud' should be a level/.test(e.message));
  assert.throws(() => parseLogSettings({ SAMSA_LOG_LEVEL: '=debug' }), LogSettingsError);
  assert.throws(() => parseLogSettings({ SAMSA_LOG_FORMAT: 'yaml' }), /use json .* or pretty/);
});

test('a child logger takes its component\'s level; pretty lines carry the component and quote values with spaces', () => {
  const lines: string[] = [];
  const root = createLogger({ level: 'warn', components: { replication: 'debug' }, format: 'pretty' }, {}, (l) => lines.push(l));
  root.info('not shown');
  const repl = root.child({ component: 'replication' });
  repl.debug('caught up', { topic: 't', partition: 0, note: 'two words', err: new Error('boom') });
  root.child({ component: 'etcd' }).info('not shown either');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z DEBUG \[replication\] caught up topic=t partition=0 note="two words" err=boom$/);
  const json: string[] = [];
  createLogger({ level: 'info', components: {}, format: 'json' }, { component: 'x' }, (l) => json.push(l)).info('m', { a: 1 });
  assert.deepEqual({ ...JSON.parse(json[0]!), time: undefined }, { time: undefined, level: 'info', msg: 'm', component: 'x', a: 1 });
});
