"""What the compat-test client scripts share: the JSON-argument dispatch, JSON output, and the "stop" line on
stdin for the long-running group members. Each script is run as `python3 <script>.py '<json>'`; Python puts
the script's directory on sys.path, so `import scripting` finds this file.
"""
import json
import sys
import threading
import traceback

stop_requested = threading.Event()


def emit(o):
    """One JSON object per line on stdout, flushed at once (the test reads it as it arrives)."""
    sys.stdout.write(json.dumps(o) + "\n")
    sys.stdout.flush()


def text(v):
    """bytes -> str (None stays None)."""
    return None if v is None else v.decode("utf-8", "replace")


def _watch_stdin():
    for line in sys.stdin:
        if "stop" in line:
            break
    stop_requested.set()  # "stop", or EOF: the test runner went away


def run(actions, events=False):
    """Calls actions[arg["action"]](arg) with the JSON argument.

    events=False: a one-shot script; prints the action's result as one JSON line, or {"error", "trace"}.
    events=True: a long-running script that emits its own events; "stop" on stdin sets stop_requested, and
    an error is emitted as {"event": "error", "error", "trace"}. Either way an error exits 1.
    """
    a = json.loads(sys.argv[1])
    if events:
        threading.Thread(target=_watch_stdin, daemon=True).start()
    try:
        result = actions[a["action"]](a)
    except Exception as e:  # noqa: BLE001 - report everything to the test
        error = {"error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc()}
        emit({"event": "error", **error} if events else error)
        sys.exit(1)
    if not events:
        emit(result)
