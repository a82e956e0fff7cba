"""The diary app's home-screen icons (``static/icons/icon-192.png``, ``icon-512.png``), drawn
here with the standard library so that they can be checked and made again:
``python -m ldn.web.icons`` rewrites them (a test fails when the files differ from the drawing).

The drawing: the brand blue of ``ldn.css`` (``--brand``) filling the square (safe for "maskable"
icons, which may be cut to a circle), a white diary page in the middle 60 % with four ruled
lines and a tick in the brand colour.
"""

from __future__ import annotations

import struct
import zlib
from importlib.resources import files
from pathlib import Path

__all__ = ["SIZES", "draw_icon", "png", "write_icons"]

SIZES = (192, 512)
BRAND = (0x1F, 0x5F, 0x99)  # ldn.css --brand
PAGE = (0xFF, 0xFF, 0xFF)
LINE = (0x1F, 0x5F, 0x99)
TICK = (0x1D, 0x6B, 0x3A)  # ldn.css --ok


def _inside_rounded(x: float, y: float, box: tuple[float, float, float, float], r: float) -> bool:
    left, top, right, bottom = box
    if not (left <= x < right and top <= y < bottom):
        return False
    cx = min(max(x, left + r), right - r)
    cy = min(max(y, top + r), bottom - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def _on_tick(u: float, v: float) -> bool:
    """A tick mark in unit coordinates of the page (two thick strokes)."""

    def near(ax: float, ay: float, bx: float, by: float, width: float) -> bool:
        dx, dy = bx - ax, by - ay
        t = max(0.0, min(1.0, ((u - ax) * dx + (v - ay) * dy) / (dx * dx + dy * dy)))
        return (u - ax - t * dx) ** 2 + (v - ay - t * dy) ** 2 <= width * width

    return near(0.52, 0.74, 0.64, 0.86, 0.045) or near(0.64, 0.86, 0.86, 0.58, 0.045)


def draw_icon(size: int) -> list[list[tuple[int, int, int]]]:
    """The icon's pixels, rows of RGB."""
    page = (0.2 * size, 0.16 * size, 0.8 * size, 0.84 * size)
    radius = 0.05 * size
    rows: list[list[tuple[int, int, int]]] = []
    for y in range(size):
        row: list[tuple[int, int, int]] = []
        for x in range(size):
            px, py = x + 0.5, y + 0.5
            colour = BRAND
            if _inside_rounded(px, py, page, radius):
                u = (px - page[0]) / (page[2] - page[0])
                v = (py - page[1]) / (page[3] - page[1])
                ruled = any(abs(v - ln) <= 0.022 for ln in (0.2, 0.34, 0.48)) and u <= 0.85
                short = abs(v - 0.62) <= 0.022 and u <= 0.45
                colour = LINE if u >= 0.15 and (ruled or short) else PAGE
                if _on_tick(u, v):
                    colour = TICK
            row.append(colour)
        rows.append(row)
    return rows


def png(rows: list[list[tuple[int, int, int]]]) -> bytes:
    """8-bit RGB PNG bytes (PNG specification, ISO/IEC 15948: IHDR, one IDAT, IEND)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def write_icons(directory: Path | None = None) -> list[Path]:
    """Write ``icon-<size>.png`` for each of :data:`SIZES`; the paths written."""
    target = directory or Path(str(files("ldn.web") / "static" / "icons"))
    target.mkdir(parents=True, exist_ok=True)
    out = []
    for size in SIZES:
        path = target / f"icon-{size}.png"
        path.write_bytes(png(draw_icon(size)))
        out.append(path)
    return out


if __name__ == "__main__":  # pragma: no cover
    for p in write_icons():
        print(p)
