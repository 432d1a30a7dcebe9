"""Byte layouts of ternary codes, as docs/Packing.md specifies them.

An independent implementation of the `#tern.packing` layouts, used to write
test inputs. Codes are sign/magnitude values: 0 = 0+, 1 = +1, 2 = 0-, 3 = -1.
"""

import numpy as np

ZERO_POS, PLUS, ZERO_NEG, MINUS = 0, 1, 2, 3

CODES_PER_BYTE = {"sign_magnitude": 4, "offset_binary": 4, "base3": 5}


def code_values(codes):
    """The values in {-1, 0, +1} that sign/magnitude codes stand for."""
    codes = np.asarray(codes).astype(np.int64)
    magnitude = codes & 1
    sign = (codes >> 1) & 1
    return (magnitude * (1 - 2 * sign)).astype(np.int64)


def codes_of(values, negative_zero=None):
    """Sign/magnitude codes of values in {-1, 0, +1}; zeros where
    `negative_zero` is true become 0-."""
    values = np.asarray(values)
    codes = np.where(values > 0, PLUS, np.where(values < 0, MINUS, ZERO_POS))
    if negative_zero is not None:
        codes = np.where((values == 0) & negative_zero, ZERO_NEG, codes)
    return codes.astype(np.uint8)


def pack(codes, layout):
    """Packs a tensor of codes (rows along the last axis) into bytes."""
    codes = np.asarray(codes, dtype=np.uint8)
    k = codes.shape[-1]
    rows = codes.reshape(-1, k)
    per = CODES_PER_BYTE[layout]
    row_bytes = (k + per - 1) // per
    out = bytearray()
    for row in rows:
        padded = np.full(row_bytes * per, ZERO_POS, dtype=np.uint8)
        padded[:k] = row
        if layout == "sign_magnitude":
            fields = padded
        else:
            if np.any(padded == ZERO_NEG):
                raise ValueError(layout + " cannot hold signed zeros")
            fields = (code_values(padded) + 1).astype(np.uint8)
        for b in range(row_bytes):
            chunk = fields[b * per:(b + 1) * per]
            if layout == "base3":
                out.append(int(sum(int(d) * 3**i for i, d in enumerate(chunk))))
            else:
                out.append(int(sum(int(d) << (2 * i) for i, d in enumerate(chunk))))
    return bytes(out)


def resource_hex(data, alignment=1):
    """The text form of a resource blob: a little-endian alignment word, then
    the bytes."""
    return "0x" + alignment.to_bytes(4, "little").hex().upper() + data.hex().upper()
