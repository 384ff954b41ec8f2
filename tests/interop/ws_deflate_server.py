"""A `websockets` echo server with permessage-deflate on, for tether's compression interop tests.

Listens on 127.0.0.1 on a free port and prints `PORT <n>`, then one line per event:
`OPEN <path> extensions=<Sec-WebSocket-Extensions of the response, or none>` and
`CLOSED <path> <code> <reason>`. On `/fragmented` it first sends a text and a 1 MiB binary
message, each as several (compressed) frames; on every path it echoes every message.

`--strict` configures the extension with every parameter set: no context takeover either
way, a 10-bit server window and an 8-bit client window (so tether's compressor must stay within
what zlib's 8-bit raw-deflate decoder accepts). Exits when its standard input closes.
"""

import sys
import threading

from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory
from websockets.sync.server import serve


LOG_LOCK = threading.Lock()


def log(*parts):
    # One write per line, under a lock: handlers run in threads, and print() writes the parts
    # and the newline separately, so two lines could interleave.
    line = " ".join(str(p) for p in parts) + "\n"
    with LOG_LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()


def big_binary():
    return bytes((i * 7) % 251 for i in range(1 << 20))


def handler(ws):
    path = ws.request.path
    extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or "none"
    log("OPEN", path, f"extensions={extensions}")
    try:
        if path == "/fragmented":
            ws.send(["frag", "men", "ted ", "κόσμε " * 100])
            data = big_binary()
            ws.send([data[i : i + 100_000] for i in range(0, len(data), 100_000)])
        for message in ws:
            ws.send(message)
    except ConnectionClosed:
        pass
    log("CLOSED", path, ws.close_code, ws.close_reason or "")


def main():
    extensions = None
    if "--strict" in sys.argv:
        extensions = [
            ServerPerMessageDeflateFactory(
                server_no_context_takeover=True,
                client_no_context_takeover=True,
                server_max_window_bits=10,
                client_max_window_bits=8,
            )
        ]
    with serve(
        handler,
        "127.0.0.1",
        0,
        compression="deflate",
        extensions=extensions,
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
