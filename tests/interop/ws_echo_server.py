"""A `websockets` echo server for tether's interop tests.

Listens on 127.0.0.1 on a free port and prints `PORT <n>`, then one line per event:
`OPEN <path> protocol=<p> extensions=<header or none>` and
`CLOSED <path> <code> <reason>`. Paths change what it does before echoing:

- `/fragmented`: sends a text and a binary message, each as several frames;
- `/ping`: pings the client, then sends `PONG OK` (or `PONG MISSING`);
- `/close`: closes with 4002 "bye from python";
- anything else: echoes every message.

Exits when its standard input closes. `--no-compression` turns permessage-deflate off
(by default it is offered to be negotiated, which tether must decline).
"""

import sys
import threading

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve


LOG_LOCK = threading.Lock()


def log(*parts):
    # One write per line, under a lock: handlers run in threads, and print() writes the parts
    # and the newline separately, so two lines could interleave.
    line = " ".join(str(p) for p in parts) + "\n"
    with LOG_LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()


def select_subprotocol(connection, offered):
    return "chat.v2" if "chat.v2" in offered else None


def handler(ws):
    path = ws.request.path
    extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or "none"
    log("OPEN", path, f"protocol={ws.subprotocol}", f"extensions={extensions}")
    try:
        if path == "/fragmented":
            ws.send(["frag", "men", "ted ", "κόσμε"])
            ws.send([b"\x00\x01", b"\x02", bytes(range(256))])
        elif path == "/ping":
            answered = ws.ping(b"python ping").wait(5)
            ws.send("PONG OK" if answered else "PONG MISSING")
        elif path == "/close":
            ws.close(4002, "bye from python")
        for message in ws:
            ws.send(message)
    except ConnectionClosed:
        pass
    log("CLOSED", path, ws.close_code, ws.close_reason or "")


def main():
    compression = None if "--no-compression" in sys.argv else "deflate"
    with serve(
        handler,
        "127.0.0.1",
        0,
        compression=compression,
        select_subprotocol=select_subprotocol,
        max_size=64 * 1024 * 1024,
        ping_interval=None,
    ) as server:
        log("PORT", server.socket.getsockname()[1])

        def stop_on_eof():
            sys.stdin.read()
            server.shutdown()

        threading.Thread(target=stop_on_eof, daemon=True).start()
        server.serve_forever()


if __name__ == "__main__":
    main()
