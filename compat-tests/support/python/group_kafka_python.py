#!/usr/bin/python3
"""A kafka-python 2.0.2 consumer group member (KafkaConsumer with group_id) for the group compat tests. One JSON
argument; prints one JSON event per line on stdout; "stop" on stdin ends it cleanly.

  {"action":"consume","bootstrap":"h:p","topic":"t","group":"g",
   "count":N,           stop after processing N messages, each committed synchronously right after it is processed
   "tail":M,            then process M more without committing them, and close(autocommit=False)
   "metadata":"text",   commit metadata (OffsetAndMetadata)
   "timeout_ms":30000}
    events: {"event":"assign","partitions":[..]} {"event":"revoke","partitions":[..]}
            {"event":"message","partition":p,"offset":o,"value":v,"committed":bool}
            {"event":"result","processed":n,"committed":{"p":offset}}
  {"action":"admin","bootstrap":"h:p","group":"g"}   KafkaAdminClient: list_consumer_groups,
            describe_consumer_groups, list_consumer_group_offsets
    -> {"event":"result","groups":[[id, protocol_type]],"describe":{...},"offsets":{"topic:p":[offset, metadata]}}
Errors: {"event":"error","error":"...","trace":"..."} and exit 1.
"""
import time

from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from scripting import emit, run, stop_requested, text


class Listener(ConsumerRebalanceListener):
    def on_partitions_revoked(self, revoked):
        emit({"event": "revoke", "partitions": sorted(tp.partition for tp in revoked)})

    def on_partitions_assigned(self, assigned):
        emit({"event": "assign", "partitions": sorted(tp.partition for tp in assigned)})


def consume(a):
    deadline = time.time() + a.get("timeout_ms", 30000) / 1000
    count = a.get("count")
    tail = a.get("tail", 0)
    metadata = a.get("metadata", "")
    consumer = KafkaConsumer(
        bootstrap_servers=a["bootstrap"],
        group_id=a["group"],
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        client_id="samsa-compat-group-kafka-python",
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
        fetch_max_wait_ms=100,
        metadata_max_age_ms=5000,
    )
    consumer.subscribe([a["topic"]], listener=Listener())
    processed = 0
    extra = 0
    committed = {}
    done = False
    while not done and time.time() < deadline and not stop_requested.is_set():
        batch = consumer.poll(timeout_ms=200)
        for tp, records in sorted(batch.items(), key=lambda kv: kv[0].partition):
            for r in records:
                if count is not None and processed >= count and extra >= tail:
                    done = True
                    break
                commit = count is None or processed < count
                if commit:
                    consumer.commit({tp: OffsetAndMetadata(r.offset + 1, metadata)})
                    committed[str(r.partition)] = r.offset + 1
                    processed += 1
                else:
                    extra += 1
                emit({"event": "message", "partition": r.partition, "offset": r.offset, "value": text(r.value),
                      "committed": commit})
            if done:
                break
        if count is not None and processed >= count and extra >= tail:
            done = True
    consumer.close(autocommit=False)
    emit({"event": "result", "processed": processed, "uncommitted": extra, "committed": committed})


def admin(a):
    client = KafkaAdminClient(bootstrap_servers=a["bootstrap"], client_id="samsa-compat-group-admin")
    groups = client.list_consumer_groups()
    described = client.describe_consumer_groups([a["group"]])
    d = described[0]
    offsets = client.list_consumer_group_offsets(a["group"])
    client.close()
    emit({
        "event": "result",
        "groups": [list(g) for g in groups],
        "describe": {
            "error_code": d.error_code,
            "group": d.group,
            "state": d.state,
            "protocol_type": d.protocol_type,
            "protocol": d.protocol,
            "members": [{"member_id": m.member_id, "client_id": m.client_id, "client_host": m.client_host,
                         "assignment": (
                             {t: sorted(ps) for t, ps in m.member_assignment.assignment}
                             if m.member_assignment else None)}
                        for m in d.members],
        },
        "offsets": {"%s:%d" % (tp.topic, tp.partition): [om.offset, om.metadata] for tp, om in offsets.items()},
    })


if __name__ == "__main__":
    run({"consume": consume, "admin": admin}, events=True)
