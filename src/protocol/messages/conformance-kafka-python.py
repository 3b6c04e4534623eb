"""
Samsa's schemas against kafka-python's (Debian's python3-kafka): each case is a request or response body that
Samsa encoded; kafka-python decodes it with its own struct for that API version and encodes what it read again.
A schema that agrees with Samsa's reads every byte and writes the same bytes back.

stdin:  {"cases": [{"kind": "request" | "response", "key": 3, "version": 5, "hex": "..."}]}
stdout: {"known": [["request", 3, 5], ...], "results": [{"consumed": 42, "hex": "..."} | {"error": "..."}]}
"""
import importlib
import inspect
import io
import json
import pkgutil
import sys

import kafka.protocol
from kafka.protocol.api import Request, Response


def structs():
    """(kind, api key, version) -> kafka-python's class, from the version lists its modules export."""
    out = {}
    for m in pkgutil.iter_modules(kafka.protocol.__path__):
        mod = importlib.import_module('kafka.protocol.' + m.name)
        for v in vars(mod).values():
            if not (isinstance(v, list) and v):
                continue
            if not all(inspect.isclass(c) and issubclass(c, (Request, Response)) for c in v):
                continue
            for index, c in enumerate(v):
                if c.API_VERSION != index:
                    continue  # a list that repeats an older version in a newer version's place
                kind = 'request' if issubclass(c, Request) else 'response'
                out[(kind, c.API_KEY, c.API_VERSION)] = c
    return out


def round_trip(c, data):
    buf = io.BytesIO(data)
    try:
        value = c.decode(buf)
        return {'consumed': buf.tell(), 'hex': value.encode().hex()}
    except Exception as e:  # a schema that disagrees can fail anywhere in kafka-python's reader
        return {'error': '%s: %s' % (type(e).__name__, e)}


def main():
    known = structs()
    cases = json.load(sys.stdin)['cases']
    results = []
    for case in cases:
        c = known.get((case['kind'], case['key'], case['version']))
        results.append(round_trip(c, bytes.fromhex(case['hex'])) if c else {'error': 'unknown'})
    json.dump({'known': sorted(known), 'results': results}, sys.stdout)


main()
