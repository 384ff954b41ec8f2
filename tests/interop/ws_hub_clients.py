"""`websockets` clients subscribed to a tether hub, for the fan-out interop test.

Usage: ws_hub_clients.py ws://127.0.0.1:PORT

Opens six clients at once, each on its own thread, with these paths and offers (the server
picks its compression settings by path):

- `/shared` (twice): websockets' default offer; the server has no context takeover, 12-bit
  window: the two share one compressed copy of each message;
- `/shared10`: the default offer; the server uses a 10-bit window: another parameter set;
- `/own` + `server_no_context_takeover` asked by the client: the server allows context
  takeover but this client asked it not to: the same parameter set as `/shared`;
- `/own`: the default offer with context takeover: this connection compresses for itself;
- `/plain`: the server declines compression.

Each client sends `ready`, then receives the messages the server publishes (the same list as
`published()` in `tests/tests/interop_fanout.rs`), checks each, sends `RESULT <path> ok` and
closes with 1000. Prints `OK <name>` or `FAIL <name> <detail>` per check and `DONE ...`; exits
0 when every check passed.
"""

import sys
import threading
import time

from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
from websockets.sync.client import connect

BASE = sys.argv[1].rstrip("/")
lock = threading.Lock()
failures = 0


def check(name, ok, detail=""):
    global failures
    with lock:
        if ok:
            print("OK", name, flush=True)
        else:
            failures += 1
            print("FAIL", name, detail, flush=True)


def json_records(n):
    return "".join('{"id":%d,"user":"user%d"},' % (i, i % 97) for i in range(n))


def noise(n):
    x, out = 0x2545F491, bytearray()
    for _ in range(n):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out.append((x >> 7) & 0xFF)
    return bytes(out)


def published():
    return [
        "hello hub",
        json_records(200),
        json_records(200),
        bytes((i * 7) % 251 for i in range(100_000)),
        json_records(12_000),
        noise(20_000),
        b"",
        "κόσμε 😀 ü " * 100,
    ]


def client(name, path, offer):
    expected = published()
    extensions = [ClientPerMessageDeflateFactory(**offer)] if offer is not None else None
    try:
        with connect(BASE + path, max_size=None, ping_interval=None, extensions=extensions) as ws:
            header = ws.response.headers.get("Sec-WebSocket-Extensions")
            print("EXT", name, header, flush=True)
            if path == "/plain":
                check(f"{name}-declined", header is None, repr(header))
            else:
                check(f"{name}-negotiated", header is not None and header.startswith("permessage-deflate"), repr(header))
            ws.send("ready")
            for i, want in enumerate(expected):
                got = ws.recv(timeout=30)
                check(f"{name}-message-{i}", got == want, f"{type(got).__name__} of {len(got)}, expected {len(want)}")
            ws.send(f"RESULT {path} ok")
            ws.close(1000, "done")
            check(f"{name}-close", ws.close_code == 1000, repr(ws.close_code))
    except Exception as e:  # noqa: BLE001 - any failure is a failed check
        check(f"{name}-run", False, repr(e))


def main():
    clients = [
        ("shared-a", "/shared", {}),
        ("shared-b", "/shared", {}),
        ("shared10", "/shared10", {}),
        ("own-nct", "/own", {"server_no_context_takeover": True}),
        ("own", "/own", {}),
        ("plain", "/plain", {}),
    ]
    threads = [threading.Thread(target=client, args=c) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    start = time.monotonic()
    code = main()
    print(f"DONE {failures} failures in {time.monotonic() - start:.2f}s", flush=True)
    sys.exit(code)
