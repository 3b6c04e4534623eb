#!/usr/bin/python3
"""A continuous idempotent producer (confluent-kafka / librdkafka) for the replication tests.

  cluster_idempotent_producer.py '{"bootstrap":"h:p,h:p","topic":"t","prefix":"c","keys":8,"rate":500,
                                   "stop_file":"/path","max_seconds":180,"config":{...}}'

Produces key "<prefix>-k<i>" with value "<prefix>-k<i>:<seq>" (seq = a per-key sequence number, from 0), keys
in turn, about `rate` messages a second, with enable.idempotence=true and acks=all, until `stop_file` exists
(or max_seconds pass); then flushes. Prints one JSON line per delivery report as it arrives:
  {"k": key, "s": seq, "p": partition, "o": offset, "t": ms}   acknowledged (t: when, ms since the epoch)
  {"k": key, "s": seq, "e": "error"}                     failed
and one line {"progress": n_acked} a second, and finally
  {"done": true, "sent": N, "acked": A, "failed": F, "in_queue": Q, "fatal": [...], "errors": [...]}
"""
import json
import os
import sys
import time

from confluent_kafka import Producer


def main():
    a = json.loads(sys.argv[1])
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "client.id": "samsa-cluster-idempotent",
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 5,
        "message.timeout.ms": 120000,
        "topic.metadata.refresh.interval.ms": 1000,
        "socket.timeout.ms": 10000,
    }
    conf.update(a.get("config") or {})
    fatal = []
    errors = []

    def on_error(err):
        (fatal if err.fatal() else errors).append(str(err))

    p = Producer(conf, error_cb=on_error)
    counts = {"acked": 0, "failed": 0}
    out = sys.stdout

    def report(key, seq):
        def cb(err, msg):
            if err:
                counts["failed"] += 1
                out.write(json.dumps({"k": key, "s": seq, "e": str(err)}) + "\n")
            else:
                counts["acked"] += 1
                out.write(json.dumps({"k": key, "s": seq, "p": msg.partition(), "o": msg.offset(),
                                     "t": int(time.time() * 1000)}) + "\n")
        return cb

    prefix = a.get("prefix", "c")
    nkeys = a.get("keys", 8)
    rate = a.get("rate", 500)
    stop_file = a["stop_file"]
    deadline = time.time() + a.get("max_seconds", 180)
    seqs = [0] * nkeys
    sent = 0
    start = time.time()
    last_progress = start
    while time.time() < deadline and not os.path.exists(stop_file) and not fatal:
        i = sent % nkeys
        key = "%s-k%d" % (prefix, i)
        seq = seqs[i]
        try:
            p.produce(a["topic"], key=key, value="%s:%d" % (key, seq), on_delivery=report(key, seq))
        except BufferError:
            p.poll(0.05)
            continue
        seqs[i] += 1
        sent += 1
        # pace: `rate` messages a second on average
        ahead = sent / rate - (time.time() - start)
        p.poll(ahead if ahead > 0 else 0)
        now = time.time()
        if now - last_progress >= 1:
            last_progress = now
            out.write(json.dumps({"progress": counts["acked"], "sent": sent}) + "\n")
            out.flush()
    left = p.flush(a.get("flush_seconds", 90))
    out.write(json.dumps({
        "done": True,
        "sent": sent,
        "acked": counts["acked"],
        "failed": counts["failed"],
        "in_queue": left,
        "fatal": fatal,
        "errors": errors[:20],
    }) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
