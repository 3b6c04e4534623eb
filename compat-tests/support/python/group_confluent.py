#!/usr/bin/python3
"""A confluent-kafka (librdkafka) consumer group member for the group compat tests. One JSON argument; prints
one JSON event per line on stdout; "stop" on stdin ends it cleanly.

  {"action":"consume","bootstrap":"h:p","topic":"t","group":"g","config":{...librdkafka properties...},
   "count":N,          stop after processing N messages, each committed synchronously right after it is processed
                       (omit: run until "stop" or the deadline)
   "tail":M,           then process M more messages without committing them, and close (nothing more is committed)
   "timeout_ms":30000}
    events: {"event":"assign","partitions":[..]} {"event":"revoke","partitions":[..]}
            {"event":"message","partition":p,"offset":o,"value":v,"committed":bool}
            {"event":"result","processed":n,"committed":{"p":offset},"member_id":..}
  {"action":"list_groups","bootstrap":"h:p","group":"g"|null}   AdminClient.list_groups
    -> {"event":"result","groups":[{"id","state","protocol_type","protocol","members":[{"id","client_id",
        "client_host","assignment_len"}]}]}
Errors: {"event":"error","error":"...","trace":"..."} and exit 1.
"""
import time

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from scripting import emit, run, stop_requested, text


def consume(a):
    deadline = time.time() + a.get("timeout_ms", 30000) / 1000
    count = a.get("count")
    tail = a.get("tail", 0)
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "client.id": a.get("client_id", "samsa-compat-group-confluent"),
        "group.id": a["group"],
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 100,
        "topic.metadata.refresh.interval.ms": 2000,
    }
    conf.update(a.get("config") or {})
    c = Consumer(conf, error_cb=lambda err: emit({"event": "client_error", "error": str(err)}))

    def on_assign(consumer, parts):
        emit({"event": "assign", "partitions": sorted(p.partition for p in parts)})

    def on_revoke(consumer, parts):
        emit({"event": "revoke", "partitions": sorted(p.partition for p in parts)})

    def on_lost(consumer, parts):
        emit({"event": "lost", "partitions": sorted(p.partition for p in parts)})

    c.subscribe([a["topic"]], on_assign=on_assign, on_revoke=on_revoke, on_lost=on_lost)
    processed = 0
    extra = 0
    committed = {}
    while time.time() < deadline and not stop_requested.is_set():
        if count is not None and processed >= count and extra >= tail:
            break
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() != -191:  # _PARTITION_EOF
                emit({"event": "client_error", "error": str(m.error())})
            continue
        commit = count is None or processed < count
        if commit:
            c.commit(offsets=[TopicPartition(m.topic(), m.partition(), m.offset() + 1)], asynchronous=False)
            committed[str(m.partition())] = m.offset() + 1
            processed += 1
        else:
            extra += 1
        emit({"event": "message", "partition": m.partition(), "offset": m.offset(), "value": text(m.value()),
              "committed": commit})
    member_id = c.memberid() if hasattr(c, "memberid") else None
    c.close()
    emit({"event": "result", "processed": processed, "uncommitted": extra, "committed": committed,
          "member_id": member_id, "stopped": stop_requested.is_set()})


def list_groups(a):
    admin = AdminClient({"bootstrap.servers": a["bootstrap"]})
    groups = admin.list_groups(a.get("group"), timeout=10)
    out = []
    for g in groups:
        out.append({
            "id": g.id,
            "error": str(g.error) if g.error else None,
            "state": g.state,
            "protocol_type": g.protocol_type,
            "protocol": g.protocol,
            "broker": g.broker.id if g.broker else None,
            "members": [{"id": m.id, "client_id": m.client_id, "client_host": m.client_host,
                         "assignment_len": len(m.assignment or b"")} for m in g.members],
        })
    emit({"event": "result", "groups": out})


if __name__ == "__main__":
    run({"consume": consume, "list_groups": list_groups}, events=True)
