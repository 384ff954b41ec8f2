"""A `websockets` client checking a tether server's permessage-deflate defaults and knobs.

Usage: ws_deflate_knobs_client.py ws://127.0.0.1:PORT

The server is a tether echo server with default settings (compression on, server defaults:
no context takeover for its own messages, 12-bit windows, memory level 5). One connection per offer below; for each, one line per check,
`OK <name>` or `FAIL <name> <detail>`, plus `EXT <path> <response header>`; `DONE <n> failures`
at the end, exit status 0 when every check passed.

Offers (path: what is offered, what tether must answer):

- `/default`: websockets' default client offer (`client_max_window_bits` bare, memLevel 5):
  `server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12` (RFC 7692
  §7.1.1.1: the server may state its no context takeover unasked; §7.1.2.1: and its window;
  §7.1.2.2: it may limit the client's because the offer has the parameter);
- `/no-client-bits`: no `client_max_window_bits`: the answer must not include it (§7.1.2.2);
- `/server-bits-10`: `server_max_window_bits=10`: answered with 10;
- `/client-bits-9`: `client_max_window_bits=9`: answered with 9 (smaller than 12);
- `/no-context`: both `*_no_context_takeover`: confirmed.

On each connection: JSON messages come back compressed (RSV1 set on the first frame tether
sends), 64 KiB of random bytes come back uncompressed (RSV1 clear) and equal, the JSON that
follows still decodes (tether's compressor did not keep the random bytes in its window), and
messages under 128 bytes come back uncompressed.
"""

import json
import os
import sys
import time

from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)
from websockets.frames import Opcode
from websockets.sync.client import connect

BASE = sys.argv[1].rstrip("/")
failures = 0

# The RSV1 bit of the first frame of each message tether sent, in order.
received_rsv1 = []


class RecordingDeflate(PerMessageDeflate):
    def decode(self, frame, *, max_size=None):
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            received_rsv1.append(frame.rsv1)
        return super().decode(frame, max_size=max_size)


class RecordingFactory(ClientPerMessageDeflateFactory):
    def process_response_params(self, params, accepted_extensions):
        extension = super().process_response_params(params, accepted_extensions)
        extension.__class__ = RecordingDeflate
        return extension


def check(name, ok, detail=""):
    global failures
    if ok:
        print("OK", name, flush=True)
    else:
        failures += 1
        print("FAIL", name, detail, flush=True)


def json_message(n, size=1400):
    records = []
    length = 2
    i = n * 100
    while length < size:
        record = {"id": i, "user": f"user{i % 613}", "active": i % 3 == 0, "score": i * 2654435761 % 100000}
        records.append(record)
        length += len(json.dumps(record)) + 2
        i += 1
    return json.dumps(records)


def echo(ws, message):
    received_rsv1.clear()
    ws.send(message)
    got = ws.recv(timeout=20)
    return got, (received_rsv1[0] if received_rsv1 else None)


def exchange(path, want, **offer):
    factory = RecordingFactory(compress_settings={"memLevel": 5}, **offer)
    with connect(BASE + path, max_size=None, ping_interval=None, extensions=[factory]) as ws:
        header = ws.response.headers.get("Sec-WebSocket-Extensions")
        print("EXT", path, header, flush=True)
        check(f"{path}-answer", header == want, f"got {header!r}, want {want!r}")
        for n in range(3):
            text = json_message(n)
            got, rsv1 = echo(ws, text)
            check(f"{path}-json-{n}", got == text and rsv1 is True, f"rsv1={rsv1}")
            noise = os.urandom(64 * 1024)
            got, rsv1 = echo(ws, noise)
            check(f"{path}-random-{n}", got == noise and rsv1 is False, f"rsv1={rsv1}")
        got, rsv1 = echo(ws, "hi")
        check(f"{path}-small", got == "hi" and rsv1 is False, f"rsv1={rsv1}")
        short_noise = os.urandom(200)
        got, rsv1 = echo(ws, short_noise)
        check(f"{path}-random-200", got == short_noise and rsv1 is False, f"rsv1={rsv1}")
        big = json_message(9, 300_000)
        got, rsv1 = echo(ws, big)
        check(f"{path}-json-300k", got == big and rsv1 is True, f"rsv1={rsv1}")
        ws.close(1000, "done")
        check(f"{path}-close", ws.close_code == 1000, repr(ws.close_code))


def main():
    exchange(
        "/default",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=12",
    )
    exchange(
        "/no-client-bits",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12",
        client_max_window_bits=None,
    )
    exchange(
        "/server-bits-10",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12",
        server_max_window_bits=10,
    )
    exchange(
        "/client-bits-9",
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=12; client_max_window_bits=9",
        client_max_window_bits=9,
    )
    exchange(
        "/no-context",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
        "server_max_window_bits=12; client_max_window_bits=12",
        server_no_context_takeover=True,
        client_no_context_takeover=True,
    )
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    start = time.monotonic()
    code = main()
    print(f"DONE {failures} failures in {time.monotonic() - start:.2f}s", flush=True)
    sys.exit(code)
