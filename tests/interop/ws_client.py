"""A `websockets` client for tether's interop tests: talks to a tether echo server.

Usage: ws_client.py ws://127.0.0.1:PORT

Prints one line per check, `OK <name>` or `FAIL <name> <detail>`, and exits 0 when every
check passed. The tether server under test echoes every message on every path; on `/close`
it echoes one message and then closes with 4002 "bye from tether"; it picks the subprotocol
`chat.v2` when offered.
"""

import sys
import time

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

BASE = sys.argv[1].rstrip("/")
failures = 0


def check(name, ok, detail=""):
    global failures
    if ok:
        print("OK", name, flush=True)
    else:
        failures += 1
        print("FAIL", name, detail, flush=True)


def echo(ws, message):
    ws.send(message)
    return ws.recv(timeout=10)


def main():
    # Offers permessage-deflate (websockets' default): tether must decline it, and every
    # exchange below then runs uncompressed.
    with connect(BASE + "/echo", max_size=None, ping_interval=None) as ws:
        header = ws.response.headers.get("Sec-WebSocket-Extensions")
        check("deflate-declined", header is None, f"server answered {header!r}")
        check("no-subprotocol", ws.subprotocol is None, repr(ws.subprotocol))
        check("text", echo(ws, "hello tether") == "hello tether")
        check("text-unicode", echo(ws, "κόσμε 😀 ü") == "κόσμε 😀 ü")
        check("text-empty", echo(ws, "") == "")
        data = bytes(range(256)) * 4
        check("binary", echo(ws, data) == data)
        check("binary-empty", echo(ws, b"") == b"")
        big = bytes((i * 7) % 251 for i in range(4 << 20))
        got = echo(ws, big)
        check("binary-4mib", got == big, f"got {len(got)} bytes")
        big_text = "0123456789abcdef" * (1 << 18)
        got = echo(ws, big_text)
        check("text-4mib", got == big_text, f"got {len(got)} chars")
        ws.send(["frag", "men", "ted ", "κό", "σμε"])
        got = ws.recv(timeout=10)
        check("text-fragmented", got == "fragmented κόσμε", repr(got))
        ws.send([b"\x00", b"\x01\x02", bytes(range(256))])
        got = ws.recv(timeout=10)
        check("binary-fragmented", got == b"\x00\x01\x02" + bytes(range(256)), repr(got[:8]))
        pieces = [bytes([i % 256]) * 1000 for i in range(100)]
        ws.send(pieces)
        got = ws.recv(timeout=10)
        check("binary-100-fragments", got == b"".join(pieces))
        check("ping-pong", ws.ping(b"python ping").wait(5))
        check("ping-empty", ws.ping(b"").wait(5))
        ws.pong(b"unsolicited")
        check("unsolicited-pong-ignored", echo(ws, "after pong") == "after pong")
        ws.close(4001, "bye from python")
        check(
            "close-code-echoed",
            ws.close_code == 4001,
            f"code {ws.close_code} reason {ws.close_reason!r}",
        )

    with connect(BASE + "/plain", compression=None, ping_interval=None) as ws:
        check("no-compression-text", echo(ws, "plain") == "plain")
        ws.close(1000, "")
        check("close-normal", ws.close_code == 1000, repr(ws.close_code))

    with connect(
        BASE + "/proto", subprotocols=["chat.v1", "chat.v2"], ping_interval=None
    ) as ws:
        check("subprotocol", ws.subprotocol == "chat.v2", repr(ws.subprotocol))
        check("subprotocol-echo", echo(ws, "with protocol") == "with protocol")

    with connect(BASE + "/close", ping_interval=None) as ws:
        check("before-server-close", echo(ws, "last") == "last")
        try:
            ws.recv(timeout=10)
            check("server-close", False, "got a message instead of the close")
        except ConnectionClosed as e:
            rcvd = e.rcvd
            check(
                "server-close",
                rcvd is not None and rcvd.code == 4002 and rcvd.reason == "bye from tether",
                repr(rcvd),
            )

    # A reason of 123 bytes, the most a close frame holds.
    with connect(BASE + "/long-reason", ping_interval=None) as ws:
        ws.close(4003, "r" * 123)
        check("close-reason-123", ws.close_code == 4003, repr(ws.close_code))

    return 0 if failures == 0 else 1


if __name__ == "__main__":
    start = time.monotonic()
    code = main()
    print(f"DONE {failures} failures in {time.monotonic() - start:.2f}s", flush=True)
    sys.exit(code)
