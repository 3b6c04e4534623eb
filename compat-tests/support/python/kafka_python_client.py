#!/usr/bin/python3
"""kafka-python 2.0.2 (Debian's python3-kafka) driven by one JSON argument; prints one JSON result line.

  produce: {"action":"produce","bootstrap":"h:p","topic":"t","messages":[{"key":"k","value":"v","headers":{"h":"v"},
            "partition":0}],"acks":-1|0|1,"compression":null|"gzip"|...}
           -> {"results":[{"partition":0,"offset":5}, ...]}   (offset -1 with acks=0)
  consume: {"action":"consume","bootstrap":"h:p","topic":"t","count":N,"timeout_ms":20000,
            "partition":0,"offset":"beginning"|N}                            (assign + seek, no group)
           {"action":"consume", ..., "group":"g"}                            (subscribe with a group, commits)
           -> {"messages":[{"partition":0,"offset":0,"key":"k","value":"v","headers":{"h":"v"},"timestamp":...}]}
Errors: exit 1 with {"error": "..."}.
"""
import time

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from scripting import run, text


def b(s):
    return None if s is None else s.encode("utf-8")


def produce(a):
    producer = KafkaProducer(
        bootstrap_servers=a["bootstrap"],
        acks=a.get("acks", 1) if a.get("acks", 1) != -1 else "all",
        compression_type=a.get("compression"),
        linger_ms=a.get("linger_ms", 5),
        request_timeout_ms=a.get("request_timeout_ms", 30000),
        retries=a.get("retries", 3),
        client_id="samsa-compat-kafka-python",
    )
    futures = []
    for m in a["messages"]:
        headers = [(k, b(v)) for k, v in (m.get("headers") or {}).items()]
        futures.append(
            producer.send(a["topic"], key=b(m.get("key")), value=b(m.get("value")), headers=headers or None,
                          partition=m.get("partition", a.get("partition")))
        )
    producer.flush(timeout=a.get("timeout_ms", 30000) / 1000)
    results = []
    for f in futures:
        md = f.get(timeout=a.get("timeout_ms", 30000) / 1000)
        results.append({"partition": md.partition, "offset": md.offset})
    producer.close(timeout=10)
    return {"results": results}


def consume(a):
    count = a["count"]
    deadline = time.time() + a.get("timeout_ms", 20000) / 1000
    group = a.get("group")
    consumer = KafkaConsumer(
        bootstrap_servers=a["bootstrap"],
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="samsa-compat-kafka-python",
        session_timeout_ms=10000,
        heartbeat_interval_ms=1000,
        fetch_max_wait_ms=200,
    )
    if group:
        consumer.subscribe([a["topic"]])
    else:
        tp = TopicPartition(a["topic"], a.get("partition", 0))
        consumer.assign([tp])
        offset = a.get("offset", "beginning")
        if offset == "beginning":
            consumer.seek_to_beginning(tp)
        elif offset == "end":
            consumer.seek_to_end(tp)
        else:
            consumer.seek(tp, int(offset))
    out = []
    while len(out) < count and time.time() < deadline:
        batch = consumer.poll(timeout_ms=500)
        for _tp, records in batch.items():
            for r in records:
                out.append({
                    "partition": r.partition,
                    "offset": r.offset,
                    "key": text(r.key),
                    "value": text(r.value),
                    "headers": {k: text(v) for k, v in (r.headers or [])},
                    "timestamp": r.timestamp,
                })
    if group and out:
        consumer.commit()
    committed = None
    if group:
        committed = {str(tp.partition): consumer.committed(tp) for tp in consumer.assignment()}
    consumer.close()
    return {"messages": out[:count] if len(out) > count else out, "committed": committed}


if __name__ == "__main__":
    run({"produce": produce, "consume": consume})
