"""Pixels of a browser screenshot, for the scenarios that render the HTML
report in headless Chromium (test_status_report.py, test_users_day.py): a
small PNG decoder (zlib and numpy only) and a colour mask."""
import struct
import zlib

import numpy as np


def read_png(path):
    """Decodes an 8-bit RGB or RGBA non-interlaced PNG (what Chromium
    writes) with zlib and numpy: returns an array (height, width, 3)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat = 8, b""
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    out = np.zeros((height, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        if kind == 2:
            line = (line + prev) & 0xFF
        elif kind in (1, 3, 4):
            line = unfilter_row(kind, line.tolist(), prev.tolist(), bpp)
        out[y] = line
        prev = out[y].astype(np.int32)
    return out.reshape(height, width, bpp)[:, :, :3]


def unfilter_row(kind, line, prev, bpp):
    """PNG filters Sub (1), Average (3) and Paeth (4) for one row."""
    for i in range(len(line)):
        a = line[i - bpp] if i >= bpp else 0
        b = prev[i]
        if kind == 1:
            line[i] = (line[i] + a) & 0xFF
        elif kind == 3:
            line[i] = (line[i] + (a + b) // 2) & 0xFF
        else:
            c = prev[i - bpp] if i >= bpp else 0
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            line[i] = (line[i] + pred) & 0xFF
    return np.array(line, dtype=np.int32)


def near(image, rgb, tolerance=12):
    """Mask of pixels within `tolerance` of colour `rgb` in every channel."""
    return (np.abs(image.astype(np.int32) - np.array(rgb)) <= tolerance).all(axis=2)
