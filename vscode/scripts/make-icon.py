"""Draws media/icon.png (128x128, the extension's icon in the marketplace and the Extensions
view) with Python's standard library: a container (a rounded box with a lid line) holding a
breakpoint (a red dot), on a dark rounded square. Run: python3 scripts/make-icon.py"""

import struct
import zlib
from pathlib import Path

SIZE = 128
SS = 4  # supersampling per axis, for smooth edges


def rounded_rect(x, y, x0, y0, x1, y1, r):
    """Whether (x, y) is inside the rectangle (x0, y0)-(x1, y1) with corner radius r."""
    if not (x0 <= x <= x1 and y0 <= y <= y1):
        return False
    cx = min(max(x, x0 + r), x1 - r)
    cy = min(max(y, y0 + r), y1 - r)
    return (x - cx) ** 2 + (y - cy) ** 2 <= r * r


def color(x, y):
    """RGBA of one sample point (coordinates in pixels, 0..128)."""
    background = (0x1E, 0x3A, 0x5F, 255)
    white = (0xF2, 0xF5, 0xF8, 255)
    red = (0xE5, 0x39, 0x35, 255)
    if not rounded_rect(x, y, 4, 4, 124, 124, 22):
        return (0, 0, 0, 0)
    # breakpoint: a red dot in the box
    if (x - 64) ** 2 + (y - 74) ** 2 <= 17**2:
        return red
    # the container: an outlined rounded box, and its lid
    outer = rounded_rect(x, y, 22, 30, 106, 108, 10)
    inner = rounded_rect(x, y, 30, 46, 98, 100, 5)
    if outer and not inner:
        return white
    return background


def main():
    rows = []
    for py in range(SIZE):
        row = bytearray([0])  # filter: none
        for px in range(SIZE):
            acc = [0, 0, 0, 0]
            for sy in range(SS):
                for sx in range(SS):
                    r, g, b, a = color(px + (sx + 0.5) / SS, py + (sy + 0.5) / SS)
                    acc[0] += r * a
                    acc[1] += g * a
                    acc[2] += b * a
                    acc[3] += a
            alpha = acc[3]
            if alpha:
                row += bytes([round(acc[0] / alpha), round(acc[1] / alpha), round(acc[2] / alpha)])
            else:
                row += bytes([0, 0, 0])
            row.append(round(alpha / (SS * SS)))
        rows.append(bytes(row))

    def chunk(kind, data):
        body = kind + data
        return (
            struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    png = b"\x89PNG\r\n\x1a\n"
    png += chunk(b"IHDR", struct.pack(">IIBBBBB", SIZE, SIZE, 8, 6, 0, 0, 0))  # 8-bit RGBA
    png += chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
    png += chunk(b"IEND", b"")
    out = Path(__file__).resolve().parent.parent / "media" / "icon.png"
    out.write_bytes(png)
    print(f"{out}: {len(png)} bytes")


if __name__ == "__main__":
    main()
