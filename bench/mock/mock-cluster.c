/*
 * A launcher for librdkafka's in-memory mock cluster (rdkafka_mock.h), the reference broker of
 * the benchmark (bench/run.ts). Built by the bench with the system C compiler:
 *
 *   cc -O2 -o mock-cluster mock-cluster.c -lrdkafka
 *
 * Usage: mock-cluster [broker_count]
 * Prints the bootstrap string as the first line on stdout, then reads commands on stdin, one a
 * line, and answers each with one line:
 *
 *   topic NAME PARTITIONS   create a topic (replication factor 1)   -> "ok" or "error <code>"
 *
 * It stops when stdin closes or on SIGTERM / SIGINT.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

int main(int argc, char **argv) {
  int broker_cnt = argc > 1 ? atoi(argv[1]) : 1;
  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only hosts the mock cluster; it never talks to a real broker. */
  if (rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "conf: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
  if (rk == NULL) {
    fprintf(stderr, "rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, broker_cnt);
  if (mcluster == NULL) {
    fprintf(stderr, "rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a blocked read returns EINTR */
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);

  char line[1024];
  while (!stop_requested && fgets(line, sizeof line, stdin) != NULL) {
    char name[512];
    int partitions = 0;
    if (sscanf(line, "topic %511s %d", name, &partitions) == 2 && partitions > 0) {
      rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, name, partitions, 1);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) printf("ok\n");
      else printf("error %d %s\n", (int)err, rd_kafka_err2str(err));
    } else {
      printf("error unknown command\n");
    }
    fflush(stdout);
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
