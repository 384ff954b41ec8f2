#!/usr/bin/env python3
"""Writes the seeds of the connection_deflate and connection_large fuzz targets.

Run from fuzz/seeds/: python3 make_seeds.py. The frames are built here from RFC 6455 §5 and
RFC 7692 §7.2.3 (the compressed "Hello" examples) with Python's zlib, so the seeds do not
depend on tether's own encoder.
"""
import struct
import zlib

KEY = bytes([0x37, 0xFA, 0x21, 0x3D])


def frame(b0, payload, masked):
    n = len(payload)
    if n < 126:
        head = bytes([b0, (0x80 if masked else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if masked else 0) | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, (0x80 if masked else 0) | 127]) + struct.pack(">Q", n)
    if not masked:
        return head + payload
    return head + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))


def deflate(data, wbits=15, compressor=None):
    """permessage-deflate: raw DEFLATE, sync-flushed, the trailing 00 00 ff ff removed."""
    c = compressor or zlib.compressobj(9, zlib.DEFLATED, -wbits)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


def write(target, name, data):
    with open(f"{target}/{name}", "wb") as f:
        f.write(data)


# ---- connection_deflate: [params][drive byte][frames] ----
# params: bit 0 client role, bit 1 chunks mode, bit 2 server_no_context_takeover, bit 3
# client_no_context_takeover, bits 4-6 window bits - 8. The drive byte: (step << 1) | reads.
HELLO = bytes.fromhex("f248cdc9c90700")  # RFC 7692 §7.2.3.1
HELLO_AGAIN = bytes.fromhex("f200110000")  # §7.2.3.2: the second "Hello", context kept


def deflate_seeds(masked):
    m = masked
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    json = b'{"id":1,"user":"ada","tags":["a","b"]},' * 60
    first = deflate(json, compressor=c)
    second = deflate(json, compressor=c)  # refers back to the first message
    return {
        "hello": frame(0xC1, HELLO, m),
        "hello_twice_context": frame(0xC1, HELLO, m) + frame(0xC1, HELLO_AGAIN, m),
        "hello_fragmented": frame(0x41, HELLO[:3], m) + frame(0x80, HELLO[3:], m),
        "mixed_ping_plain": frame(0x41, first[:20], m)
        + frame(0x89, b"ping", m)
        + frame(0x80, first[20:], m)
        + frame(0x81, b"plain text", m)
        + frame(0xC2, second, m)
        + frame(0x88, b"\x03\xe8bye", m),
        "bomb_64k_zeros": frame(0xC2, deflate(bytes(65536)), m),
        "invalid_utf8_text": frame(0xC1, deflate(b"ok\xff\xfe"), m),
        "rsv1_on_continuation": frame(0x41, HELLO[:3], m) + frame(0xC0, HELLO[3:], m),
    }


for role_bit, masked in [(0, True), (1, False)]:
    for name, frames in deflate_seeds(masked).items():
        role = "client" if role_bit else "server"
        for params, tag in [(0x70 | role_bit, "w15"), (0x1E | role_bit, "w9_nct_chunks")]:
            for drive in [0x01, 0xFF, 0x40]:
                write(
                    "connection_deflate",
                    f"{role}_{name}_{tag}_d{drive:02x}",
                    bytes([params, drive]) + frames,
                )

# ---- connection_large: [b: chunks bit, read size (n + 1) * 509][masked frames] ----
payload = bytes((i * 7 + i // 251) & 0xFF for i in range(65536))
big = frame(0x82, payload, True)  # one 64 KiB masked frame
text = ("aé€𝄞" * 6000).encode()
large = {
    "binary_64k": big,
    "binary_64k_then_close": big + frame(0x88, b"\x03\xe8", True),
    "two_frames_64k": frame(0x02, payload[:40000], True) + frame(0x80, payload[40000:], True),
    "text_60k_multibyte": frame(0x81, text, True),
    "ping_between_large_fragments": frame(0x02, payload[:33000], True)
    + frame(0x89, b"p", True)
    + frame(0x80, payload[33000:], True),
}
for name, frames in large.items():
    for b in [0x0E, 0xFE, 0x01]:
        write("connection_large", f"{name}_b{b:02x}", bytes([b]) + frames)
