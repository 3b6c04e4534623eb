"""One process runs a client library's whole SASL/TLS matrix against one broker (compat-tests/security-clients.test.ts).

Argument: {"lib": "kafka-python"|"confluent-kafka", "cases": [{"name", "bootstrap", "protocol", "mechanism",
"username", "password", "ca", "topic", "expect": "ok"|"refused"}]}. Each "ok" case produces one message and
consumes it back; each "refused" case must fail to produce. Prints {"results": {name: "ok"|"refused"|"error: …"}}.
"""
import scripting


def kafka_python_case(c):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition
    from kafka.errors import KafkaError

    common = dict(
        bootstrap_servers=[c["bootstrap"]],
        security_protocol=c["protocol"],
        sasl_mechanism=c["mechanism"],
        sasl_plain_username=c["username"],
        sasl_plain_password=c["password"],
        request_timeout_ms=15000,
        api_version_auto_timeout_ms=10000,
    )
    if c["protocol"] == "SASL_SSL":
        common.update(ssl_cafile=c["ca"], ssl_check_hostname=True)
    value = ("%s over %s" % (c["mechanism"], c["protocol"])).encode()
    try:
        p = KafkaProducer(acks="all", max_block_ms=5000, **common)
        p.send(c["topic"], value).get(timeout=15)
        p.close()
    except KafkaError as e:
        return "refused" if c["expect"] == "refused" else "error: %r" % (e,)
    if c["expect"] == "refused":
        return "error: produced although it should be refused"
    consumer = KafkaConsumer(consumer_timeout_ms=3000, enable_auto_commit=False, **common)
    tp = TopicPartition(c["topic"], 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = [m.value for m in consumer]
    consumer.close()
    return "ok" if got == [value] else "error: consumed %r" % (got,)


def confluent_case(c):
    from confluent_kafka import Consumer, Producer, TopicPartition

    common = {
        "bootstrap.servers": c["bootstrap"],
        "security.protocol": c["protocol"].lower(),
        "sasl.mechanisms": c["mechanism"],
        "sasl.username": c["username"],
        "sasl.password": c["password"],
    }
    if c["protocol"] == "SASL_SSL":
        common["ssl.ca.location"] = c["ca"]
    value = ("%s over %s" % (c["mechanism"], c["protocol"])).encode()
    errors = []
    p = Producer(dict(common, **{"message.timeout.ms": 10000, "acks": "all", "error_cb": lambda e: errors.append(e)}))
    delivered = []
    p.produce(c["topic"], value, on_delivery=lambda err, msg: delivered.append(err))
    p.flush(15)
    if c["expect"] == "refused":
        auth_failed = any("Authentication" in str(e) or "SASL" in str(e) for e in errors)
        return "refused" if auth_failed and delivered != [None] else "error: not refused (%r, %r)" % (errors, delivered)
    if delivered != [None]:
        return "error: delivery %r %r" % (delivered, errors)
    consumer = Consumer(dict(common, **{"group.id": "matrix-" + c["topic"], "enable.auto.commit": False}))
    consumer.assign([TopicPartition(c["topic"], 0, 0)])
    got = []
    for _ in range(40):
        m = consumer.poll(0.5)
        if m is not None and m.error() is None:
            got.append(m.value())
            break
    consumer.close()
    return "ok" if got == [value] else "error: consumed %r" % (got,)


def matrix(a):
    run_case = kafka_python_case if a["lib"] == "kafka-python" else confluent_case
    results = {}
    for c in a["cases"]:
        try:
            results[c["name"]] = run_case(c)
        except Exception as e:  # noqa: BLE001 - reported per case
            results[c["name"]] = "error: %s: %s" % (type(e).__name__, e)
    return {"results": results}


scripting.run({"matrix": matrix})
