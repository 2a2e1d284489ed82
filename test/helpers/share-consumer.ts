/**
 * A librdkafka share consumer (KIP-932, librdkafka 2.15's preview C API) for tests: a small C
 * program compiled at test time into a temp directory against .cache/librdkafka (`npm run
 * fetch:librdkafka`), never committed. Each run prints `MSG <offset> <deliveryCount> <value>` per
 * record it gets; its mode says what it does with them:
 *
 * - `accept`: implicit acknowledgement (every record accepted at the next poll), until `idleMs`
 *   pass without records or `count` records arrive; then closes.
 * - `hold`: explicit; once `count` records arrived, prints HELD and kills itself with SIGKILL,
 *   acknowledging nothing.
 * - `reject=<value>`: explicit; REJECTs records with that value, ACCEPTs the others.
 * - `release`: explicit; RELEASEs every record (each comes back until the delivery limit).
 * - `ackbelow=<offset>`: explicit; ACCEPTs records below the offset, commits them synchronously
 *   once `count` records arrived, prints COMMITTED and kills itself with SIGKILL.
 */
import { access, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './broker.js';

const LIB = fileURLToPath(new URL('../../../.cache/librdkafka/', import.meta.url));

const SOURCE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <unistd.h>
#include <time.h>
#include <librdkafka/rdkafka.h>

static long long now_ms(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000LL + t.tv_nsec / 1000000; }

int main(int argc, char **argv) {
  if (argc < 7) { fprintf(stderr, "usage: bootstrap group topic mode count idleMs\n"); return 2; }
  const char *mode = argv[4];
  int count = atoi(argv[5]);
  long long idle = atoll(argv[6]);
  int explicit_ack = strcmp(mode, "accept") != 0;
  int process_ms = 0;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[1], errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "group.id", argv[2], errstr, sizeof errstr) ||
      rd_kafka_conf_set(conf, "share.acknowledgement.mode", explicit_ack ? "explicit" : "implicit", errstr, sizeof errstr) ||
      (getenv("RDKAFKA_DEBUG") && rd_kafka_conf_set(conf, "debug", getenv("RDKAFKA_DEBUG"), errstr, sizeof errstr))) {
    fprintf(stderr, "conf: %s\n", errstr); return 1;
  }
  for (int a = 7; a < argc; a++) {
    char *eq = strchr(argv[a], '=');
    if (!eq) continue;
    *eq = 0;
    if (!strcmp(argv[a], "process.ms")) { process_ms = atoi(eq + 1); continue; }
    if (rd_kafka_conf_set(conf, argv[a], eq + 1, errstr, sizeof errstr)) { fprintf(stderr, "conf: %s\n", errstr); return 1; }
  }
  rd_kafka_share_t *sc = rd_kafka_share_consumer_new(conf, errstr, sizeof errstr);
  if (!sc) { fprintf(stderr, "new: %s\n", errstr); return 1; }
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, argv[3], RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_share_subscribe(sc, topics);
  if (err) { fprintf(stderr, "subscribe: %s\n", rd_kafka_err2str(err)); return 1; }
  rd_kafka_topic_partition_list_destroy(topics);
  int got = 0;
  long long last = now_ms();
  printf("READY\n"); fflush(stdout);
  while (now_ms() - last < idle && (count <= 0 || got < count || strcmp(mode, "accept") != 0)) {
    rd_kafka_messages_t *batch = NULL;
    rd_kafka_error_t *e = rd_kafka_share_poll(sc, 200, &batch);
    if (e) { fprintf(stderr, "poll: %s\n", rd_kafka_error_string(e)); rd_kafka_error_destroy(e); }
    size_t n = batch ? rd_kafka_messages_count(batch) : 0;
    for (size_t i = 0; i < n; i++) {
      rd_kafka_message_t *m = rd_kafka_messages_get(batch, i);
      if (m->err) { fprintf(stderr, "record error: %s\n", rd_kafka_err2str(m->err)); if (explicit_ack) rd_kafka_share_acknowledge_type(sc, m, RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE); continue; }
      got++;
      last = now_ms();
      printf("MSG %lld %d %.*s\n", (long long)m->offset, (int)rd_kafka_message_delivery_count(m), (int)m->len, (const char *)m->payload);
      if (process_ms > 0) usleep(process_ms * 1000);
      if (!strncmp(mode, "reject=", 7)) {
        int poison = (int)m->len == (int)strlen(mode + 7) && !memcmp(m->payload, mode + 7, m->len);
        rd_kafka_share_acknowledge_type(sc, m, poison ? RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_REJECT : RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT);
      } else if (!strcmp(mode, "release")) {
        rd_kafka_share_acknowledge_type(sc, m, RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_RELEASE);
      } else if (!strncmp(mode, "ackbelow=", 9)) {
        if (m->offset < atoll(mode + 9)) rd_kafka_share_acknowledge_type(sc, m, RD_KAFKA_SHARE_ACKNOWLEDGE_TYPE_ACCEPT);
      }
    }
    fflush(stdout);
    rd_kafka_messages_destroy(batch);
    if (count > 0 && got >= count && !strcmp(mode, "hold")) { printf("HELD\n"); fflush(stdout); kill(getpid(), SIGKILL); }
    if (count > 0 && got >= count && !strncmp(mode, "ackbelow=", 9)) {
      rd_kafka_topic_partition_list_t *res = NULL;
      rd_kafka_error_t *ce = rd_kafka_share_commit_sync(sc, 10000, &res);
      if (ce) { fprintf(stderr, "commit: %s\n", rd_kafka_error_string(ce)); return 1; }
      for (int j = 0; res && j < res->cnt; j++) if (res->elems[j].err) { fprintf(stderr, "commit %s[%d]: %s\n", res->elems[j].topic, res->elems[j].partition, rd_kafka_err2str(res->elems[j].err)); return 1; }
      printf("COMMITTED\n"); fflush(stdout);
      kill(getpid(), SIGKILL);
    }
  }
  rd_kafka_error_t *ce = rd_kafka_share_consumer_close(sc);
  if (ce) { fprintf(stderr, "close: %s\n", rd_kafka_error_string(ce)); rd_kafka_error_destroy(ce); }
  rd_kafka_share_destroy(sc);
  printf("DONE\n");
  return 0;
}
`;

let built: Promise<string> | null = null;

/** Compiles the share consumer once per test process; fails naming `npm run fetch:librdkafka` without the library. */
export function shareConsumerBinary(): Promise<string> {
  built ??= (async () => {
    try {
      await access(join(LIB, 'include/librdkafka/rdkafka.h'));
      await access(join(LIB, 'librdkafka.so'));
    } catch {
      throw new Error(`no librdkafka 2.15 with its header at ${LIB}: run \`npm run fetch:librdkafka\` (the share consumer tests compile a C client against it)`);
    }
    const dir = await mkdtemp(join(tmpdir(), 'samsa-share-'));
    await writeFile(join(dir, 'share.c'), SOURCE);
    const bin = join(dir, 'share-consumer');
    const r = await run('gcc', ['-O1', '-o', bin, join(dir, 'share.c'), `-I${join(LIB, 'include')}`, `-L${LIB}`, '-lrdkafka'], { timeoutMs: 60_000 });
    if (r.code !== 0) throw new Error(`compiling the share consumer failed: ${r.stderr}`);
    return bin;
  })();
  return built;
}

export interface ShareRecord {
  offset: number;
  deliveryCount: number;
  value: string;
}

export interface ShareRun extends RunResult {
  records: ShareRecord[];
}

export interface ShareConsumerArgs {
  bootstrap: string;
  groupId: string;
  topic: string;
  mode: string;
  count?: number;
  idleMs?: number;
  timeoutMs?: number;
  /** More librdkafka settings, e.g. { 'max.poll.records': '10' }; `process.ms` is the time the program spends on each record. */
  conf?: Record<string, string>;
}

export function parseShareOutput(stdout: string): ShareRecord[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('MSG '))
    .map((l) => {
      const [, offset, dc, ...value] = l.split(' ');
      return { offset: Number(offset), deliveryCount: Number(dc), value: value.join(' ') };
    });
}

/** Runs one share consumer to its end (or its own SIGKILL). */
export async function runShareConsumer(a: ShareConsumerArgs): Promise<ShareRun> {
  const bin = await shareConsumerBinary();
  const r = await run(bin, [a.bootstrap, a.groupId, a.topic, a.mode, String(a.count ?? 0), String(a.idleMs ?? 4000), ...Object.entries(a.conf ?? {}).map(([k, v]) => `${k}=${v}`)], { env: { LD_LIBRARY_PATH: LIB }, timeoutMs: a.timeoutMs ?? 60_000 });
  return { ...r, records: parseShareOutput(r.stdout) };
}
