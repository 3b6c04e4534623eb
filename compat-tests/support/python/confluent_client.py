#!/usr/bin/python3
"""confluent-kafka-python (librdkafka) driven by one JSON argument; prints one JSON result line.

  produce: {"action":"produce","bootstrap":"h:p","topic":"t","messages":[{"key":"k","value":"v","headers":{..},
            "partition":0}],"config":{"enable.idempotence":true, "acks":"all", "compression.type":"lz4"}}
           -> {"results":[{"partition":0,"offset":5}, ...]}
  consume: {"action":"consume","bootstrap":"h:p","topic":"t","count":N,"timeout_ms":20000,
            "partition":0,"offset":"beginning"|N}             (assign, no group membership)
           {"action":"consume", ..., "group":"g"}             (subscribe with a group, commits synchronously)
           -> {"messages":[...], "committed": {"0": 5}}
  describe_configs: {"action":"describe_configs","bootstrap":"h:p","topic":"t"}   (AdminClient, as kafka-configs
           --describe --all: librdkafka asks for synonyms)
           -> {"entries":[{"name","value","source","synonyms":[{"name","value","source"}]}]} in the broker's order
Errors: exit 1 with {"error": "..."}.
"""
import time

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from scripting import run, text


def produce(a):
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "client.id": "samsa-compat-confluent",
        "linger.ms": 5,
        "message.timeout.ms": a.get("timeout_ms", 30000),
    }
    conf.update(a.get("config") or {})
    errors = []
    p = Producer(conf, error_cb=lambda err: errors.append(str(err)) if err.fatal() else None)
    results = [None] * len(a["messages"])

    def on_delivery(i):
        def cb(err, msg):
            results[i] = {"error": str(err)} if err else {"partition": msg.partition(), "offset": msg.offset()}
        return cb

    for i, m in enumerate(a["messages"]):
        kwargs = {}
        part = m.get("partition", a.get("partition"))
        if part is not None:
            kwargs["partition"] = part
        if m.get("headers"):
            kwargs["headers"] = [(k, v.encode()) for k, v in m["headers"].items()]
        while True:
            try:
                p.produce(a["topic"], value=m.get("value"), key=m.get("key"), on_delivery=on_delivery(i), **kwargs)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    left = p.flush(a.get("timeout_ms", 30000) / 1000)
    if left:
        raise RuntimeError("%d messages not delivered" % left)
    if errors:
        raise RuntimeError("fatal producer errors: %s" % errors)
    failed = [r for r in results if r is None or "error" in r]
    if failed:
        raise RuntimeError("delivery failed: %s" % failed[:5])
    return {"results": results}


def consume(a):
    count = a["count"]
    deadline = time.time() + a.get("timeout_ms", 20000) / 1000
    group = a.get("group")
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "client.id": "samsa-compat-confluent",
        # librdkafka's consumer needs a group.id even for assign(); without subscribe() it joins no group.
        "group.id": group or "samsa-compat-assign-only",
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 1000,
        "fetch.wait.max.ms": 200,
    }
    conf.update(a.get("config") or {})
    c = Consumer(conf)
    if group:
        c.subscribe([a["topic"]])
    else:
        offset = a.get("offset", "beginning")
        off = OFFSET_BEGINNING if offset == "beginning" else OFFSET_END if offset == "end" else int(offset)
        c.assign([TopicPartition(a["topic"], a.get("partition", 0), off)])
    out = []
    errors = []
    while len(out) < count and time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() != -191:  # _PARTITION_EOF
                errors.append(str(m.error()))
            continue
        out.append({
            "partition": m.partition(),
            "offset": m.offset(),
            "key": text(m.key()),
            "value": text(m.value()),
            "headers": {k: text(v) for k, v in (m.headers() or [])},
            "timestamp": m.timestamp()[1],
        })
    committed = None
    if group and out:
        c.commit(asynchronous=False)
        parts = c.committed(c.assignment(), timeout=10)
        committed = {str(tp.partition): tp.offset for tp in parts}
    c.close()
    return {"messages": out, "errors": errors[:10], "committed": committed}


def describe_configs(a):
    admin = AdminClient({"bootstrap.servers": a["bootstrap"], "client.id": "samsa-compat-confluent"})
    resource = ConfigResource(ConfigResource.Type.TOPIC, a["topic"])
    configs = admin.describe_configs([resource], request_timeout=30)[resource].result(timeout=30)

    def entry(e):
        return {"name": e.name, "value": e.value, "source": int(e.source)}

    # confluent-kafka keeps synonyms in a dict by name: one entry per name (the last of each name wins)
    return {
        "entries": [
            dict(entry(e), synonyms=[entry(s) for s in e.synonyms.values()]) for e in configs.values()
        ]
    }


def alter_configs(a):
    """AlterConfigs (as kafka-configs.sh --alter): a topic's whole set of overrides becomes a["configs"]."""
    admin = AdminClient({"bootstrap.servers": a["bootstrap"], "client.id": "samsa-compat-confluent"})
    resource = ConfigResource(ConfigResource.Type.TOPIC, a["topic"], set_config=a["configs"])
    admin.alter_configs([resource], request_timeout=30)[resource].result(timeout=30)
    return {"ok": True}


if __name__ == "__main__":
    run({"produce": produce, "consume": consume, "describe_configs": describe_configs, "alter_configs": alter_configs})
