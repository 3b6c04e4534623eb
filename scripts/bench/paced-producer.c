/*
 * A librdkafka producer that keeps a fixed rate, for the benchmarks' latency runs (scripts/bench/common.mjs
 * latencyRun). rdkafka_performance's own `-r` sleeps after every record (a poll with a millisecond timeout), so on a
 * busy machine it reaches a fraction of the rate asked for (81 of 1,000 records/s against the in-memory mock broker):
 * its latencies were measured at a rate nobody chose.
 *
 *   paced-producer <bootstrap> <topic> <record bytes> <records> <records/s> <acks> <latency file> [k=v ...]
 *
 * Records go to partition 0 with librdkafka's defaults and the k=v properties (the benchmarks pass linger.ms
 * explicitly: scripts/bench/common.mjs LATENCY_PROPS). A rate far above what can be reached (1e9) measures the
 * maximum of that configuration. The schedule is absolute: after t seconds
 * rate * t records have been handed to librdkafka (a late wake-up catches up at once), so the rate is kept as long as
 * the client and the broker can keep it. Each payload starts with "LATENCY:<wall clock µs>" as rdkafka_performance -l
 * writes it, so that `rdkafka_performance -C -l` measures the end-to-end latency of these records. The time from
 * produce() to the acknowledgement of each record (µs, one a line) goes to the latency file, as rdkafka_performance
 * -A writes it. Prints one JSON line: {"records":..,"delivered":..,"failed":..,"ms":..,"produceMs":..} (produceMs:
 * from the first record handed over to the last; ms: to the last acknowledgement). Exit 1 on a setup error.
 */
#include <librdkafka/rdkafka.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static long delivered = 0, failed = 0;
static FILE *latency_fp;

static uint64_t wall_us(void) {
  struct timeval tv;
  gettimeofday(&tv, NULL);
  return (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
}

static double mono_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    failed++;
    return;
  }
  delivered++;
  uint64_t sent;
  if (m->len > 8 && sscanf(m->payload, "LATENCY:%" SCNu64, &sent) == 1)
    fprintf(latency_fp, "%" PRIu64 "\n", wall_us() - sent);
}

static void set(rd_kafka_conf_t *conf, const char *k, const char *v) {
  char err[512];
  if (rd_kafka_conf_set(conf, k, v, err, sizeof err) != RD_KAFKA_CONF_OK) {
    fprintf(stderr, "%s=%s: %s\n", k, v, err);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr,
            "usage: %s <bootstrap> <topic> <record bytes> <records> <records/s> <acks> <latency file> [k=v ...]\n",
            argv[0]);
    return 1;
  }
  const char *topic = argv[2];
  size_t size = (size_t)atol(argv[3]);
  long count = atol(argv[4]);
  double rate = atof(argv[5]);
  if (size < 32 || count < 1 || !(rate > 0)) {
    fprintf(stderr, "record bytes >= 32, records >= 1 and records/s > 0\n");
    return 1;
  }
  latency_fp = fopen(argv[7], "w");
  if (!latency_fp) {
    perror(argv[7]);
    return 1;
  }
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  set(conf, "bootstrap.servers", argv[1]);
  set(conf, "acks", argv[6]);
  for (int i = 8; i < argc; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "not k=v: %s\n", argv[i]);
      return 1;
    }
    *eq = 0;
    set(conf, argv[i], eq + 1);
  }
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  char err[512];
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) {
    fprintf(stderr, "rd_kafka_new: %s\n", err);
    return 1;
  }
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
  char *payload = malloc(size);
  memset(payload, 'x', size);
  /* connect and learn the leader before the clock starts */
  const struct rd_kafka_metadata *md;
  if (rd_kafka_metadata(rk, 0, rkt, &md, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_metadata_destroy(md);

  double t0 = mono_s();
  long sent = 0;
  while (sent < count) {
    long due = (long)((mono_s() - t0) * rate) + 1;
    if (due > count) due = count;
    while (sent < due) {
      int n = snprintf(payload, size, "LATENCY:%" PRIu64, wall_us());
      payload[n] = ' ';
      if (rd_kafka_produce(rkt, 0, RD_KAFKA_MSG_F_COPY, payload, size, NULL, 0, NULL) == -1) {
        rd_kafka_poll(rk, 1); /* queue full: serve delivery reports, try again */
        continue;
      }
      sent++;
    }
    rd_kafka_poll(rk, 0);
    /* sleep until the next record is due (at most 1 ms: the delivery reports are served in between) */
    double next = t0 + (double)sent / rate;
    double wait = next - mono_s();
    if (wait > 0.001) wait = 0.001;
    if (wait > 0) {
      struct timespec ts = {0, (long)(wait * 1e9)};
      nanosleep(&ts, NULL);
    }
  }
  double produced = mono_s();
  rd_kafka_flush(rk, 60000);
  double end = mono_s();
  printf("{\"records\":%ld,\"delivered\":%ld,\"failed\":%ld,\"ms\":%.1f,\"produceMs\":%.1f}\n", sent, delivered,
         failed, (end - t0) * 1000, (produced - t0) * 1000);
  fclose(latency_fp);
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(payload);
  return 0;
}
