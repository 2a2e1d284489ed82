/**
 * kafka-share-groups.sh --reset-offsets, --delete and --delete-offsets (Kafka 4.2's
 * ShareGroupCommand): the dry run and the execution with Kafka's GROUP TOPIC PARTITION NEW-OFFSET
 * table, --json, Kafka's TOPIC STATUS table and deletion lines, and Kafka's sentences for bad
 * flag combinations (non-zero exit). librdkafka 2.15 has no share group admin calls; its
 * DeleteGroups (rd_kafka_DeleteGroups) deletes an empty share group, refused while it has a member.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClient } from '../../src/client/index.js';
import { run, withBroker } from '../helpers/broker.js';

const BIN = fileURLToPath(new URL('../../../bin/kafka-share-groups.sh', import.meta.url));
const LIB = fileURLToPath(new URL('../../../.cache/librdkafka/', import.meta.url));

const rows = (out: string) => out.trim().split('\n').map((l) => l.trim().split(/\s+/));

test('kafka-share-groups.sh refuses bad flag combinations with Kafka\'s sentences', { timeout: 60_000 }, async () => {
  const cli = (...args: string[]) => run(BIN, ['--bootstrap-server', '127.0.0.1:1', ...args], { timeoutMs: 30_000 });
  const cases: Array<[string[], string]> = [
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest'], 'Option [reset-offsets] takes the option: [execute] or [dry-run]'],
    [['--reset-offsets', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run', '--execute'], 'Option [reset-offsets] only accepts one of [execute] and [dry-run]'],
    [['--reset-offsets', '--topic', 't', '--to-earliest', '--dry-run'], 'Option [reset-offsets] takes the option: [group]'],
    [['--reset-offsets', '--group', 'g', '--to-earliest', '--dry-run'], 'Option [reset-offsets] takes one of these options: [all-topics], [topic]'],
    [['--reset-offsets', '--group', 'g', '--all-topics', '--dry-run'], 'Option [reset-offsets] takes one of these options: [to-datetime], [to-earliest], [to-latest]'],
    [['--reset-offsets', '--group', 'g', '--all-topics', '--dry-run', '--to-earliest', '--to-latest'], 'Option "[to-earliest]" can\'t be used with option "[to-latest]"'],
    [['--delete'], 'Option [delete] takes the options [group] or [all-groups]'],
    [['--delete', '--group', 'g', '--all-groups'], 'Option [delete] takes either [group] or [all-groups], not both.'],
    [['--delete', '--group', 'g', '--topic', 't'], 'Option [delete] does not take the option: [topic]'],
    [['--delete-offsets', '--group', 'g'], 'Option [delete-offsets] takes the following options: [group], [topic]'],
    [['--list', '--to-latest'], '--to-latest only works with --reset-offsets.'],
    [['--list', '--group', 'g'], 'Option "[group]" can\'t be used with option "[list]"'],
    [['--list', '--describe', '--all-groups'], 'Command must include exactly one action: --list, --describe, --delete, --reset-offsets, --delete-offsets.'],
  ];
  for (const [args, sentence] of cases) {
    const r = await cli(...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, `${sentence}\n`, args.join(' '));
    assert.equal(r.stdout, '');
  }
});

test('kafka-share-groups.sh --reset-offsets, --delete-offsets and --delete of an empty share group', { timeout: 90_000 }, async () => {
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap, clientId: 'cli-admin' });
    const cli = (...args: string[]) => run(BIN, ['--bootstrap-server', broker.bootstrap, ...args], { timeoutMs: 30_000 });
    try {
      await kafka.admin().createTopics([{ topic: 'tasks', numPartitions: 2 }]);
      await kafka.admin().incrementalAlterConfigs({ type: 'group', name: 'crew' }, [{ name: 'share.auto.offset.reset', op: 'set', value: 'earliest' }]);
      await kafka.producer().send({ topic: 'tasks', messages: Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })) });
      const worker = kafka.shareConsumer({ groupId: 'crew' });
      worker.subscribe(['tasks']);
      let got = 0;
      for (let i = 0; i < 50 && got < 10; i++) got += (await worker.poll({ timeoutMs: 200 })).length;
      await worker.commitSync();
      const busy = await cli('--delete', '--group', 'crew');
      assert.equal(busy.code, 1);
      assert.match(busy.stderr, /^\nError: Deletion of some share groups failed:\n\* Group 'crew' could not be deleted due to: org\.apache\.kafka\.common\.errors\.GroupNotEmptyException: Share group 'crew' is not EMPTY\.\n$/);
      await worker.close();

      const dry = await cli('--reset-offsets', '--group', 'crew', '--topic', 'tasks:1', '--to-earliest', '--dry-run');
      assert.equal(dry.code, 0, dry.stderr);
      assert.deepEqual(rows(dry.stdout), [['GROUP', 'TOPIC', 'PARTITION', 'NEW-OFFSET'], ['crew', 'tasks', '1', '0']]);
      assert.deepEqual((await kafka.admin().listShareGroupOffsets('crew')).map((o) => o.startOffset), [5, 5], 'a dry run changes nothing');

      const executed = await cli('--reset-offsets', '--group', 'crew', '--all-topics', '--to-datetime', '2000-01-01T00:00:00.000', '--execute', '--json');
      assert.equal(executed.code, 0, executed.stderr);
      assert.deepEqual(JSON.parse(executed.stdout), [
        { group: 'crew', topic: 'tasks', partition: 0, newOffset: 0 },
        { group: 'crew', topic: 'tasks', partition: 1, newOffset: 0 },
      ]);
      const described = await cli('--describe', '--group', 'crew');
      assert.deepEqual(rows(described.stdout).slice(1).map((r) => r.slice(1, 5)), [['tasks', '0', '0', '5'], ['tasks', '1', '0', '5']]);
      const missing = await cli('--reset-offsets', '--group', 'crew', '--topic', 'tasks:7', '--to-latest', '--dry-run');
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /The partitions "tasks-7" do not exist/);

      const deletedOffsets = await cli('--delete-offsets', '--group', 'crew', '--topic', 'tasks', '--topic', 'nope');
      assert.equal(deletedOffsets.code, 1, 'one topic failed');
      assert.deepEqual(deletedOffsets.stdout.split('\n').slice(1).map((l) => l.trimEnd()), [
        'TOPIC           STATUS',
        'nope            Error: This server does not host this topic-partition.',
        'tasks           Successful',
        '',
      ]);

      const deleted = await cli('--delete', '--group', 'crew', '--group', 'strangers');
      assert.equal(deleted.code, 1);
      assert.equal(deleted.stderr, "\nError: Deletion of some share groups failed:\n* Group 'strangers' could not be deleted due to: java.lang.IllegalArgumentException: Group 'strangers' is not a share group.\n\nThese share groups were deleted successfully: 'crew'\n");
      assert.equal((await cli('--list')).stdout, '');
    } finally {
      await kafka.close();
    }
  });
});

const DELETE_GROUPS_C = String.raw`
#include <stdio.h>
#include <string.h>
#include <librdkafka/rdkafka.h>
int main(int argc, char **argv) {
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof errstr)) { fprintf(stderr, "%s\n", errstr); return 1; }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (!rk) { fprintf(stderr, "%s\n", errstr); return 1; }
  rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
  rd_kafka_DeleteGroup_t *g = rd_kafka_DeleteGroup_new(argv[2]);
  rd_kafka_DeleteGroups(rk, &g, 1, NULL, q);
  rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
  if (!ev) { fprintf(stderr, "no result\n"); return 1; }
  if (rd_kafka_event_error(ev)) { printf("ERROR %s\n", rd_kafka_event_error_string(ev)); return 0; }
  size_t n;
  const rd_kafka_group_result_t **res = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_error_t *e = rd_kafka_group_result_error(res[i]);
    printf("GROUP %s %s\n", rd_kafka_group_result_name(res[i]), e ? rd_kafka_error_name(e) : "OK");
  }
  rd_kafka_event_destroy(ev);
  rd_kafka_DeleteGroup_destroy(g);
  rd_kafka_queue_destroy(q);
  rd_kafka_destroy(rk);
  return 0;
}
`;

test('librdkafka 2.15 DeleteGroups deletes an empty share group and is refused NON_EMPTY_GROUP while it has a member', { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), 'samsa-rdkafka-deletegroups-'));
  await writeFile(join(dir, 'dg.c'), DELETE_GROUPS_C);
  const bin = join(dir, 'delete-groups');
  const built = await run('gcc', ['-O1', '-o', bin, join(dir, 'dg.c'), `-I${join(LIB, 'include')}`, `-L${LIB}`, '-lrdkafka'], { timeoutMs: 60_000 });
  assert.equal(built.code, 0, `compiling against ${LIB} (npm run fetch:librdkafka): ${built.stderr}`);
  await withBroker(async (broker) => {
    const kafka = createClient({ bootstrapServers: broker.bootstrap });
    const deleteGroup = (group: string) => run(bin, [broker.bootstrap, group], { env: { LD_LIBRARY_PATH: LIB }, timeoutMs: 30_000 });
    try {
      await kafka.admin().createTopics([{ topic: 'q', numPartitions: 1 }]);
      const member = kafka.shareConsumer({ groupId: 'queue' });
      member.subscribe(['q']);
      await member.poll({ timeoutMs: 500 });
      const refused = await deleteGroup('queue');
      assert.equal(refused.stdout, 'GROUP queue NON_EMPTY_GROUP\n', refused.stderr);
      await member.close();
      const done = await deleteGroup('queue');
      assert.equal(done.stdout, 'GROUP queue OK\n', done.stderr);
      assert.deepEqual(await kafka.admin().listShareGroups(), []);
    } finally {
      await kafka.close();
    }
  });
});
