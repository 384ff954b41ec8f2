"""A `websockets` echo server that reports the RSV1 bit of every message a tether client sends.

Usage: ws_deflate_knobs_server.py [--no-context | --w9 | --plain-client-window]

Listens on 127.0.0.1 on a free port and prints `PORT <n>`, then one line per event:
`OPEN <path> extensions=<response header, or none>`, `MESSAGE <path> <text|binary> <length>
rsv1=<0|1>` for each message received (RSV1 of its first frame: 1 when the client compressed
it), and `CLOSED <path> <code> <reason>`. Echoes every message. Exits when its standard input
closes.

Configurations (websockets' server defaults are 12-bit windows both ways, memLevel 5, as
tether's server defaults):

- none: websockets' defaults;
- `--no-context`: also no context takeover either way;
- `--w9`: 9-bit windows both ways;
- `--plain-client-window`: asks nothing of the client's window (the client keeps 15 bits).

A tether client with default settings should see its JSON messages arrive with rsv1=1, its
random (incompressible) messages with rsv1=0, and every echo equal to what it sent, whatever
order they come in.
"""

import sys
import threading

from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import (
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.frames import Opcode
from websockets.sync.server import serve


def log(*parts):
    print(*parts, flush=True)


class RecordingDeflate(PerMessageDeflate):
    path = "?"

    def decode(self, frame, *, max_size=None):
        if frame.opcode in (Opcode.TEXT, Opcode.BINARY):
            self.first_rsv1 = frame.rsv1
        return super().decode(frame, max_size=max_size)


class RecordingFactory(ServerPerMessageDeflateFactory):
    def process_request_params(self, params, accepted_extensions):
        response, extension = super().process_request_params(params, accepted_extensions)
        extension.__class__ = RecordingDeflate
        extension.first_rsv1 = None
        return response, extension


def factory():
    settings = {"server_max_window_bits": 12, "client_max_window_bits": 12}
    if "--no-context" in sys.argv:
        settings.update(server_no_context_takeover=True, client_no_context_takeover=True)
    if "--w9" in sys.argv:
        settings.update(server_max_window_bits=9, client_max_window_bits=9)
    if "--plain-client-window" in sys.argv:
        settings.pop("client_max_window_bits")
    return RecordingFactory(compress_settings={"memLevel": 5}, **settings)


def handler(ws):
    path = ws.request.path
    extensions = ws.response.headers.get("Sec-WebSocket-Extensions") or "none"
    log("OPEN", path, f"extensions={extensions}")
    recorder = next((e for e in ws.protocol.extensions if isinstance(e, RecordingDeflate)), None)
    try:
        for message in ws:
            kind = "text" if isinstance(message, str) else "binary"
            rsv1 = recorder.first_rsv1 if recorder is not None else None
            log("MESSAGE", path, kind, len(message), f"rsv1={int(bool(rsv1))}")
            ws.send(message)
    except ConnectionClosed:
        pass
    log("CLOSED", path, ws.close_code, ws.close_reason or "")


def main():
    with serve(
        handler,
        "127.0.0.1",
        0,
        compression=None,
        extensions=[factory()],
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
