/*
 * A librdkafka producer for `npm run bench`: the idempotent and the transactional produce rates, measured with the
 * same client (rdkafka_performance 2.0.2 has no transactions).
 *
 *   txn-producer <bootstrap> <topic> <record bytes> <records> <records per transaction>
 *
 * Records go to partition 0 with acks=all and enable.idempotence=true. With 0 records per transaction the producer
 * is only idempotent; with N > 0 it has a transactional.id and commits every N records (begin, produce N, commit).
 * Prints one JSON line: {"records":..,"failed":..,"ms":..,"transactions":..} (ms from the first record to the
 * last acknowledgement / commit). Exit 1 with a message on stderr on any error.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long delivered = 0, failed = 0;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err)
    failed++;
  else
    delivered++;
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000.0 + ts.tv_nsec / 1e6;
}

static void die_error(const char *what, rd_kafka_error_t *e) {
  fprintf(stderr, "%s: %s\n", what, rd_kafka_error_string(e));
  rd_kafka_error_destroy(e);
  exit(1);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s=%s: %s\n", k, v, err);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: %s <bootstrap> <topic> <record bytes> <records> <records per transaction>\n", argv[0]);
    return 1;
  }
  const char *bootstrap = argv[1], *topic = argv[2];
  size_t size = (size_t)atol(argv[3]);
  long count = atol(argv[4]), per_txn = atol(argv[5]);
  char err[512], txn_id[128];

  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", bootstrap);
  set(conf, "enable.idempotence", "true");
  set(conf, "acks", "all");
  set(conf, "linger.ms", getenv("LINGER_MS") ? getenv("LINGER_MS") : "5");
  set(conf, "queue.buffering.max.messages", "1000000");
  if (per_txn > 0) {
    snprintf(txn_id, sizeof(txn_id), "samsa-bench-%ld-%d", (long)time(NULL), (int)getpid());
    set(conf, "transactional.id", txn_id);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_error_t *e;
  if (per_txn > 0 && (e = rd_kafka_init_transactions(rk, 60000))) die_error("init_transactions", e);

  char *payload = malloc(size);
  memset(payload, 'x', size);
  long transactions = 0;
  double start = now_ms();
  for (long i = 0; i < count; i++) {
    if (per_txn > 0 && i % per_txn == 0 && (e = rd_kafka_begin_transaction(rk)))
      die_error("begin_transaction", e);
    for (;;) {
      rd_kafka_resp_err_t r = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                                                RD_KAFKA_V_VALUE(payload, size),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (r == RD_KAFKA_RESP_ERR_NO_ERROR) break;
      if (r != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        fprintf(stderr, "produce: %s\n", rd_kafka_err2str(r));
        return 1;
      }
      rd_kafka_poll(rk, 10);
    }
    rd_kafka_poll(rk, 0);
    if (per_txn > 0 && ((i + 1) % per_txn == 0 || i + 1 == count)) {
      if ((e = rd_kafka_commit_transaction(rk, 60000))) die_error("commit_transaction", e);
      transactions++;
    }
  }
  rd_kafka_flush(rk, 60000);
  double ms = now_ms() - start;
  printf("{\"records\":%ld,\"failed\":%ld,\"ms\":%.1f,\"transactions\":%ld}\n", delivered, failed, ms, transactions);
  free(payload);
  rd_kafka_destroy(rk);
  return failed > 0 ? 1 : 0;
}
