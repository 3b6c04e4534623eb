"""One process runs a client library's whole SASL/TLS matrix against one broker (compat-tests/security-clients.test.ts).

Argument: {"lib": "kafka-python"|"confluent-kafka", "cases": [case, ...]} where a case is
  {"name", "bootstrap", "protocol": "SASL_PLAINTEXT"|"SASL_SSL"|"SSL", "mechanism", "username", "password",
   "ca", "cert", "key", "topic", "expect": "ok"|"refused", "refusal": ["substring", ...]}
(mechanism/username/password for SASL protocols; cert/key, a client certificate, optional on SSL protocols).
Each "ok" case produces one message and consumes it back; each "refused" case must fail to produce, with a client
error containing one of the "refusal" substrings. Prints {"results": {name: "ok"|"refused"|"error: …"}}.
"""
import time

import scripting


def value_of(c):
    return ("%s over %s" % (c.get("mechanism") or "certificate", c["protocol"])).encode()


def kafka_python_case(c):
    import ssl

    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import KafkaError

    common = dict(
        bootstrap_servers=[c["bootstrap"]],
        security_protocol=c["protocol"],
        request_timeout_ms=15000,
        api_version_auto_timeout_ms=10000,
    )
    if c["protocol"].startswith("SASL"):
        common.update(
            sasl_mechanism=c["mechanism"], sasl_plain_username=c["username"], sasl_plain_password=c["password"]
        )
    if c["protocol"].endswith("SSL"):
        common.update(ssl_cafile=c["ca"], ssl_check_hostname=True)
        if c.get("cert"):
            common.update(ssl_certfile=c["cert"], ssl_keyfile=c["key"])
    value = value_of(c)
    try:
        p = KafkaProducer(acks="all", max_block_ms=5000, **common)
        p.send(c["topic"], value).get(timeout=15)
        p.close()
    except (KafkaError, ssl.SSLError) as e:
        if c["expect"] != "refused":
            return "error: %r" % (e,)
        # kafka-python reports a failed login only in its log (what reaches us is that no broker could be used); a
        # refused TLS handshake raises the ssl module's error.
        return "refused" if any(s in repr(e) for s in c["refusal"]) else "error: refused with %r" % (e,)
    if c["expect"] == "refused":
        return "error: produced although it should be refused"
    consumer = KafkaConsumer(consumer_timeout_ms=15000, enable_auto_commit=False, **common)
    tp = TopicPartition(c["topic"], 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = []
    for m in consumer:  # ends after 15 s without a message
        got.append(m.value)
        break
    consumer.close()
    return "ok" if got == [value] else "error: consumed %r" % (got,)


def confluent_case(c):
    from confluent_kafka import Consumer, Producer, TopicPartition

    common = {"bootstrap.servers": c["bootstrap"], "security.protocol": c["protocol"].lower()}
    if c["protocol"].startswith("SASL"):
        common.update(
            {"sasl.mechanisms": c["mechanism"], "sasl.username": c["username"], "sasl.password": c["password"]}
        )
    if c["protocol"].endswith("SSL"):
        common["ssl.ca.location"] = c["ca"]
        if c.get("cert"):
            common.update({"ssl.certificate.location": c["cert"], "ssl.key.location": c["key"]})
    value = value_of(c)
    errors = []
    p = Producer(dict(common, **{"message.timeout.ms": 10000, "acks": "all", "error_cb": errors.append}))
    delivered = []
    p.produce(c["topic"], value, on_delivery=lambda err, msg: delivered.append(err))

    def refusal_seen():
        return any(s in str(e) for e in errors for s in c.get("refusal", []))

    deadline = time.monotonic() + 15
    while not delivered and time.monotonic() < deadline and not (c["expect"] == "refused" and refusal_seen()):
        p.poll(0.1)
    # Identity, not ==: confluent-kafka 1.7's KafkaError compares by coercing the other operand to an int, so
    # `[KafkaError(...)] != [None]` raises TypeError (and leaves it pending, to surface on a later line).
    delivered_ok = len(delivered) == 1 and delivered[0] is None
    if c["expect"] == "refused":
        return "refused" if refusal_seen() and not delivered_ok else "error: not refused (%r, %r)" % (errors, delivered)
    if not delivered_ok:
        return "error: delivery %r %r" % (delivered, errors)
    consumer = Consumer(dict(common, **{"group.id": "matrix-" + c["topic"], "enable.auto.commit": False}))
    consumer.assign([TopicPartition(c["topic"], 0, 0)])
    got = []
    deadline = time.monotonic() + 20
    while not got and time.monotonic() < deadline:
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value())
    consumer.close()
    return "ok" if got == [value] else "error: consumed %r" % (got,)


def matrix(a):
    run_case = kafka_python_case if a["lib"] == "kafka-python" else confluent_case
    results = {}
    seconds = {}
    for c in a["cases"]:
        t0 = time.monotonic()
        try:
            results[c["name"]] = run_case(c)
        except Exception as e:  # noqa: BLE001 - reported per case
            results[c["name"]] = "error: %s: %s" % (type(e).__name__, e)
        seconds[c["name"]] = round(time.monotonic() - t0, 1)
    return {"results": results, "seconds": seconds}


scripting.run({"matrix": matrix})
