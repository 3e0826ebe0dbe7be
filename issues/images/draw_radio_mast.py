"""Draws the sample issue's hero, radio-mast.png: a radio mast on a ridge at dusk.

An original illustration made for the demo, drawn pixel by pixel with the standard library
only (zlib for the PNG), so anyone can re-create it: `python draw_radio_mast.py`.
"""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path

W, H = 1200, 675
# Dusk, top to bottom, in flat bands as in a screen print.
SKY = [
    (28, 37, 66), (38, 46, 82), (54, 56, 96), (76, 64, 104), (104, 72, 106),
    (138, 82, 104), (170, 96, 98), (199, 116, 92), (222, 142, 94), (238, 172, 108),
]
FAR_HILLS = (72, 58, 84)
NEAR_HILLS = (40, 34, 52)
GROUND = (24, 22, 34)
MAST = (18, 17, 26)
LAMP = (255, 86, 64)
STAR = (236, 232, 214)
MAST_X, MAST_TOP, MAST_FOOT = 760, 120, 470


def ridge(x: int, base: float, waves: tuple[tuple[float, float, float], ...]) -> float:
    return base + sum(a * math.sin(x / p + s) for a, p, s in waves)


def mast(x: int, y: int) -> bool:
    if not MAST_TOP <= y <= MAST_FOOT:
        return False
    t = (y - MAST_TOP) / (MAST_FOOT - MAST_TOP)
    half = 3 + 26 * t  # the lattice widens towards the ground
    dx = x - MAST_X
    if abs(dx) > half + 2:
        return False
    if abs(abs(dx) - half) < 2.2:  # the two legs
        return True
    step = 24
    phase = (y - MAST_TOP) % step
    cross = (phase / step) * 2 * half - half  # diagonal braces, one way then the other
    if ((y - MAST_TOP) // step) % 2:
        cross = -cross
    return abs(dx - cross) < 1.4 or phase < 1.5


def stays(x: int, y: int) -> bool:
    for anchor_x, anchor_y in ((560, 500), (960, 492)):
        for top in (180, 300):
            x0, y0 = MAST_X, MAST_TOP + top - MAST_TOP
            if min(x0, anchor_x) <= x <= max(x0, anchor_x):
                line_y = y0 + (anchor_y - y0) * (x - x0) / (anchor_x - x0)
                if abs(y - line_y) < 0.8:
                    return True
    return False


def pixel(x: int, y: int) -> tuple[int, int, int]:
    near = ridge(x, 520, ((18, 140, 0.5), (9, 47, 2.0)))
    if y > near + 70:
        return GROUND
    if y > near:
        return NEAR_HILLS
    if mast(x, y) or stays(x, y):
        return MAST
    if math.hypot(x - MAST_X, y - (MAST_TOP - 6)) < 6:
        return LAMP
    if y > ridge(x, 430, ((26, 210, 1.1), (12, 63, 0.3))):
        return FAR_HILLS
    band = min(len(SKY) - 1, int(y / 470 * len(SKY)))
    if band < 4 and ((x * 73856093) ^ (y * 19349663)) % 2203 == 0:
        return STAR
    return SKY[band]


def png(rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", W, H, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    rows = [bytes(c for x in range(W) for c in pixel(x, y)) for y in range(H)]
    out = Path(__file__).with_name("radio-mast.png")
    out.write_bytes(png(rows))
    print(out, out.stat().st_size, "bytes")
