#!/usr/bin/python3
"""confluent-kafka (librdkafka) transactional producer for the transaction compat tests. One JSON argument;
prints one JSON event per line on stdout; "stop" on stdin ends it.

  {"action":"transactions","bootstrap":"h:p","topic":"t","transactional_id":"x","config":{...},
   "transactions":[{"messages":[{"key":"k","value":"v"}],"commit":true}, ...],
   "hold_last_open":false}   with true, the last transaction is produced and flushed but neither committed nor
                             aborted: the script prints {"event":"open"} and waits (for a kill -9)
    events: {"event":"ready"} after init_transactions,
            {"event":"committed","i":n} / {"event":"aborted","i":n,"reason":...},
            {"event":"result","committed":[..],"aborted":[..]}
  {"action":"ctp","bootstrap":"h:p","input":"in","output":"out","group":"g","transactional_id":"x",
   "count":N,"batch":10,"timeout_ms":60000}
    consume-transform-produce: read_committed consumer, each batch of records produced to `output` (value
    "out:" + input value, same key) and the consumer's positions sent to the transaction
    (send_offsets_to_transaction), then committed.
    events: {"event":"batch","n":k}, {"event":"result","processed":N}
Errors: {"event":"error","error":"...","trace":"..."} and exit 1.
"""
import time

from confluent_kafka import Consumer, KafkaException, Producer

from scripting import emit, run, stop_requested


def producer(a, extra=None):
    conf = {
        "bootstrap.servers": a["bootstrap"],
        "client.id": a.get("client_id", "samsa-compat-txn-confluent"),
        "transactional.id": a["transactional_id"],
        "linger.ms": 5,
        "transaction.timeout.ms": 60000,
    }
    conf.update(extra or {})
    conf.update(a.get("config") or {})
    p = Producer(conf, error_cb=lambda err: emit({"event": "client_error", "error": str(err)}))
    p.init_transactions(60)
    return p


def commit_or_abort(p, commit):
    """Commits (retrying retriable errors) or aborts; returns None or why the transaction was aborted."""
    if not commit:
        # librdkafka drops records not sent yet when aborting: send them first, so that the log has them
        p.flush(60)
        p.abort_transaction(60)
        return "requested"
    while True:
        try:
            p.commit_transaction(60)
            return None
        except KafkaException as e:
            err = e.args[0]
            if err.retriable():
                continue
            if err.txn_requires_abort():
                p.abort_transaction(60)
                return str(err)
            raise


def transactions(a):
    p = producer(a)
    emit({"event": "ready"})
    txns = a["transactions"]
    committed, aborted = [], []
    for i, t in enumerate(txns):
        p.begin_transaction()
        for m in t["messages"]:
            while True:
                try:
                    p.produce(a["topic"], key=m.get("key"), value=m.get("value"))
                    break
                except BufferError:
                    p.poll(0.1)
            p.poll(0)
        if a.get("hold_last_open") and i == len(txns) - 1:
            p.flush(60)
            emit({"event": "open", "i": i})
            while not stop_requested.is_set():
                time.sleep(0.1)
            emit({"event": "result", "committed": committed, "aborted": aborted})
            return
        why = commit_or_abort(p, t.get("commit", True))
        if why is None:
            committed.append(i)
            emit({"event": "committed", "i": i})
        else:
            aborted.append(i)
            emit({"event": "aborted", "i": i, "reason": why})
    emit({"event": "result", "committed": committed, "aborted": aborted})


def ctp(a):
    deadline = time.time() + a.get("timeout_ms", 60000) / 1000
    c = Consumer({
        "bootstrap.servers": a["bootstrap"],
        "client.id": "samsa-compat-ctp-confluent",
        "group.id": a["group"],
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 100,
    })
    c.subscribe([a["input"]])
    p = producer(a)
    processed = 0
    while processed < a["count"] and time.time() < deadline and not stop_requested.is_set():
        msgs = [m for m in c.consume(num_messages=a.get("batch", 10), timeout=0.5) if not m.error()]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce(a["output"], key=m.key(), value=b"out:" + (m.value() or b""))
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 60)
        if commit_or_abort(p, True) is not None:
            raise RuntimeError("the transaction of a batch was aborted")
        processed += len(msgs)
        emit({"event": "batch", "n": len(msgs)})
    c.close()
    emit({"event": "result", "processed": processed})


if __name__ == "__main__":
    run({"transactions": transactions, "ctp": ctp}, events=True)
