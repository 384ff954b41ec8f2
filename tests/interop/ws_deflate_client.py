"""A `websockets` client with permessage-deflate on, for tether's compression interop tests.

Usage: ws_deflate_client.py ws://127.0.0.1:PORT

Talks to a tether echo server on three paths, each with a different offer, and prints one line
per check, `OK <name>` or `FAIL <name> <detail>` (plus `EXT <path> <header>` with the
negotiated extension), exiting 0 when every check passed:

- `/default`: websockets' default offer (`permessage-deflate; client_max_window_bits`);
- `/small`: every parameter: no context takeover either way, server window 8 bits (tether's
  compressor must stay within what zlib's 8-bit raw-deflate decoder accepts), client 9 bits;
- `/w12`: 12-bit windows with context takeover.
"""

import sys
import time

from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory
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
    return ws.recv(timeout=20)


def json_like(n):
    parts = []
    i = 0
    while sum(len(p) for p in parts) < n:
        parts.append('{"id":%d,"user":"user%d","score":%d,"tags":["a","b%d"]},' % (i, i % 97, (i * 2654435761) % 100000, i % 7))
        i += 1
    return "".join(parts)[:n]


def exchange(path, **offer):
    extensions = [ClientPerMessageDeflateFactory(**offer)] if offer else None
    with connect(BASE + path, max_size=None, ping_interval=None, extensions=extensions) as ws:
        header = ws.response.headers.get("Sec-WebSocket-Extensions")
        print("EXT", path, header, flush=True)
        check(f"{path}-negotiated", header is not None and header.startswith("permessage-deflate"), repr(header))
        check(f"{path}-text", echo(ws, "hello tether, compressed " * 20) == "hello tether, compressed " * 20)
        check(f"{path}-text-small", echo(ws, "hi") == "hi")
        check(f"{path}-text-unicode", echo(ws, "κόσμε 😀 ü " * 50) == "κόσμε 😀 ü " * 50)
        check(f"{path}-empty", echo(ws, "") == "" and echo(ws, b"") == b"")
        data = bytes(range(256)) * 40
        check(f"{path}-binary", echo(ws, data) == data)
        big = bytes((i * 7) % 251 for i in range(1 << 20))
        got = echo(ws, big)
        check(f"{path}-binary-1mib", got == big, f"got {len(got)} bytes")
        text = json_like(1 << 20)
        got = echo(ws, text)
        check(f"{path}-text-1mib", got == text, f"got {len(got)} chars")
        # Repeats exercise context takeover (or its absence).
        for i in range(3):
            check(f"{path}-repeat-{i}", echo(ws, text[: 5000 + i]) == text[: 5000 + i])
        ws.send(["frag", "men", "ted ", "κό", "σμε " * 100])
        got = ws.recv(timeout=20)
        check(f"{path}-text-fragmented", got == "fragmented κόσμε " + "σμε " * 99, repr(got[:30]))
        pieces = [big[i : i + 100_000] for i in range(0, len(big), 100_000)]
        ws.send(pieces)
        got = ws.recv(timeout=20)
        check(f"{path}-binary-fragmented", got == big, f"got {len(got)} bytes")
        check(f"{path}-ping", ws.ping(b"python ping").wait(5))
        ws.close(1000, "done")
        check(f"{path}-close", ws.close_code == 1000, repr(ws.close_code))


def main():
    exchange("/default")
    exchange(
        "/small",
        server_no_context_takeover=True,
        client_no_context_takeover=True,
        server_max_window_bits=8,
        client_max_window_bits=9,
    )
    exchange("/w12", server_max_window_bits=12, client_max_window_bits=12)
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    start = time.monotonic()
    code = main()
    print(f"DONE {failures} failures in {time.monotonic() - start:.2f}s", flush=True)
    sys.exit(code)
