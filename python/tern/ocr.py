"""Text-line OCR helpers shared by tests and evaluations: rendering a line
of text with a console (PSF) font the way PP-OCR's recognizer expects its
input, greedy CTC decoding, and the character error rate."""

import gzip

import numpy as np


class PSFFont:
    """A PC Screen Font (PSF1 or PSF2, optionally gzipped), as Debian's
    console-setup-linux ships them."""

    def __init__(self, path):
        data = open(path, "rb").read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        self.glyph_index = {}
        if data[:2] == b"\x36\x04":
            mode, self.height = data[2], data[3]
            self.width, count, offset = 8, 512 if mode & 1 else 256, 4
            has_table = mode & 2
            row_bytes = 1
        elif data[:4] == b"\x72\xb5\x4a\x86":
            (_, header, flags, count, size, self.height,
             self.width) = np.frombuffer(data[4:32], "<u4")
            offset, has_table = int(header), flags & 1
            row_bytes = (int(self.width) + 7) // 8
        else:
            raise ValueError(f"{path}: not a PSF font")
        self.width, self.height = int(self.width), int(self.height)
        size = row_bytes * self.height
        glyphs = np.frombuffer(data, np.uint8, int(count) * size, offset)
        bits = np.unpackbits(glyphs.reshape(int(count), self.height, row_bytes),
                             axis=2)
        self.glyphs = bits[:, :, :self.width]
        if has_table:
            self._read_table(data[offset + int(count) * size:], data[:2] == b"\x36\x04")
        else:
            self.glyph_index = {chr(i): i for i in range(int(count))}

    def _read_table(self, table, psf1):
        glyph, at = 0, 0
        if psf1:
            codes = np.frombuffer(table[:len(table) // 2 * 2], "<u2")
            for c in codes:
                if c == 0xFFFF:
                    glyph += 1
                elif c != 0xFFFE:
                    self.glyph_index.setdefault(chr(c), glyph)
            return
        while at < len(table):
            end = table.index(b"\xff", at) if b"\xff" in table[at:] else len(table)
            entry = table[at:end].split(b"\xfe")[0]
            for ch in entry.decode("utf-8", "ignore"):
                self.glyph_index.setdefault(ch, glyph)
            glyph, at = glyph + 1, end + 1

    def render(self, text):
        """Black-on-white uint8 image of `text`, one glyph cell per char."""
        cells = [self.glyphs[self.glyph_index.get(c, self.glyph_index.get("?", 0))]
                 for c in text]
        if not cells:
            return np.full((self.height, 1), 255, np.uint8)
        ink = np.concatenate(cells, axis=1)
        return (255 * (1 - ink)).astype(np.uint8)


def recognizer_input(image, height=48, width=320):
    """PP-OCR's recognizer preprocessing: scale to `height` keeping the
    aspect ratio (at most `width`), 3 channels, normalize to [-1, 1], pad
    with 0 on the right to `width`. Returns float32 [1, 3, height, width]."""
    h, w = image.shape
    new_w = min(width, max(1, int(np.ceil(w * height / h))))
    # Bilinear resampling of the rendered line.
    ys = (np.arange(height) + 0.5) * h / height - 0.5
    xs = (np.arange(new_w) + 0.5) * w / new_w - 0.5
    y0 = np.clip(np.floor(ys).astype(int), 0, h - 1)
    x0 = np.clip(np.floor(xs).astype(int), 0, w - 1)
    y1, x1 = np.minimum(y0 + 1, h - 1), np.minimum(x0 + 1, w - 1)
    wy = np.clip(ys - y0, 0, 1)[:, None]
    wx = np.clip(xs - x0, 0, 1)[None, :]
    img = image.astype(np.float32)
    top = img[y0][:, x0] * (1 - wx) + img[y0][:, x1] * wx
    bottom = img[y1][:, x0] * (1 - wx) + img[y1][:, x1] * wx
    scaled = top * (1 - wy) + bottom * wy
    out = np.zeros((1, 3, height, width), np.float32)
    out[0, :, :, :new_w] = (scaled / 255.0 - 0.5) / 0.5
    return out


def load_charset(keys_path):
    """PP-OCR's classes: 0 is the CTC blank, then the lines of the key file,
    then a space."""
    with open(keys_path, encoding="utf-8") as f:
        keys = [line.rstrip("\n") for line in f]
    return ["<blank>"] + keys + [" "]


def ctc_greedy_decode(probs, charset):
    """Best path decoding of [T, C] (or [1, T, C]) class scores: argmax per
    step, merge repeats, drop blanks."""
    probs = np.asarray(probs)
    if probs.ndim == 3:
        probs = probs[0]
    best = probs.argmax(axis=-1)
    text, previous = [], 0
    for k in best:
        if k != previous and k != 0:
            text.append(charset[k])
        previous = k
    return "".join(text)


def edit_distance(hypothesis, reference):
    """Levenshtein distance between two strings."""
    previous = list(range(len(reference) + 1))
    for i, h in enumerate(hypothesis, 1):
        current = [i]
        for j, r in enumerate(reference, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (h != r)))
        previous = current
    return previous[-1]


def cer(hypothesis, reference):
    """Character error rate: Levenshtein distance / reference length."""
    return edit_distance(hypothesis, reference) / max(1, len(reference))


def text_lines(lines, limit, count, skip):
    """`count` chunks of whole words, each at most `limit` characters, from
    `lines` of a novel after skipping `skip` of them (a word longer than
    the limit is cut)."""
    out = []
    for line in lines[skip:]:
        current = ""
        for word in line.split():
            if len(current) + len(word) + (1 if current else 0) > limit:
                if current:
                    out.append(current)
                current = word[:limit]
            else:
                current = (current + " " + word) if current else word
            if len(out) == count:
                return out
        if current:
            out.append(current)
        if len(out) == count:
            return out
    return out
