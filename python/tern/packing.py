"""Byte layouts of ternary codes, as docs/Packing.md specifies them.

An independent implementation of the `#tern.packing` layouts, used to write
test inputs. Codes are sign/magnitude values: 0 = 0+, 1 = +1, 2 = 0-, 3 = -1.
"""

import numpy as np

ZERO_POS, PLUS, ZERO_NEG, MINUS = 0, 1, 2, 3

CODES_PER_BYTE = {"sign_magnitude": 4, "offset_binary": 4, "base3": 5}
# Every layout: those above, and sherry's 5-bit fields, one per quad of 4
# codes that holds exactly one zero.
LAYOUTS = sorted(list(CODES_PER_BYTE) + ["sherry"])


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


def pack_sherry_row(row):
    """One row of sherry: per quad of 4 codes the position of its one zero
    (2 bits), then the signs of the other three in order (1 = -1), as 5-bit
    fields filled from bit 0 of byte 0 up, the last byte padded with 0."""
    k = len(row)
    if k % 4:
        raise ValueError("sherry packs quads of 4 codes: K = %d" % k)
    values = code_values(row)
    bits = []
    for q in range(k // 4):
        quad = values[4 * q:4 * q + 4]
        zeros = [j for j in range(4) if quad[j] == 0]
        if len(zeros) != 1 or np.any(row[4 * q:4 * q + 4] == ZERO_NEG):
            raise ValueError("sherry needs one zero (0+) a quad, quad %d" % q)
        signs = [int(v < 0) for v in quad if v != 0]
        field = zeros[0] | signs[0] << 2 | signs[1] << 3 | signs[2] << 4
        bits += [(field >> b) & 1 for b in range(5)]
    bits += [0] * (-len(bits) % 8)
    return bytes(sum(bits[8 * i + b] << b for b in range(8))
                 for i in range(len(bits) // 8))


def pack(codes, layout):
    """Packs a tensor of codes (rows along the last axis) into bytes."""
    codes = np.asarray(codes, dtype=np.uint8)
    k = codes.shape[-1]
    rows = codes.reshape(-1, k)
    if layout == "sherry":
        return b"".join(pack_sherry_row(row) for row in rows)
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
