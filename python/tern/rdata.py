"""Reads R's lazy-load databases (.rdx/.rdb), as R packages ship their data.

Only what holds plain data is supported: character, integer, logical and
double vectors, lists, pairlists, attributes and symbols. Enough to read
e.g. janeaustenr's novels without R:

    from tern.rdata import LazyLoadDB
    db = LazyLoadDB("/usr/lib/R/site-library/janeaustenr/data/Rdata")
    lines = db["prideprejudice"]        # a list of str
"""

import bz2
import gzip
import lzma
import struct
import zlib

NILVALUE, REF, GLOBALENV, EMPTYENV, BASEENV, MISSINGARG, BASENAMESPACE = \
    254, 255, 253, 242, 241, 251, 247
NIL, SYM, LIST, ENV, LANG, CHAR, LGL, INT, REAL, STR, VEC, EXPR = \
    0, 1, 2, 4, 6, 9, 10, 13, 14, 16, 19, 20
NAMESPACE, PACKAGE, ATTRLIST, ATTRLANG = 249, 250, 239, 240


class RList(list):
    """An R list or pairlist, with its names and other attributes."""

    def __init__(self, items=(), attributes=None):
        super().__init__(items)
        self.attributes = attributes or {}


class _Reader:
    def __init__(self, data):
        self.data, self.at, self.refs = data, 0, []

    def int(self):
        v = struct.unpack_from(">i", self.data, self.at)[0]
        self.at += 4
        return v

    def bytes(self, n):
        v = self.data[self.at:self.at + n]
        self.at += n
        return v

    def item(self):
        flags = self.int()
        kind, has_attr, has_tag = flags & 0xFF, flags & 512, flags & 1024
        if kind == NILVALUE or kind in (EMPTYENV, BASEENV, GLOBALENV,
                                        MISSINGARG, BASENAMESPACE):
            return None
        if kind == REF:
            index = flags >> 8 or self.int()
            return self.refs[index - 1]
        if kind == SYM:
            name = self.item()
            self.refs.append(name)
            return name
        if kind in (NAMESPACE, PACKAGE):
            self.int()  # a name vector follows as a string list
            n = self.int()
            value = [self.item() for _ in range(n)]
            self.refs.append(value)
            return value
        if kind == ENV:
            env = {}
            self.refs.append(env)
            self.int()  # locked
            self.item()  # enclosing
            frame = self.item()
            self.item()  # hash table
            self.item()  # attributes
            if isinstance(frame, RList):
                env.update(frame.attributes.get("__pairs__", {}))
            return env
        if kind in (LIST, LANG, ATTRLIST, ATTRLANG):
            items, names, attributes = [], [], {}
            while True:
                if has_attr:
                    attributes = self.item()
                tag = self.item() if has_tag else None
                items.append(self.item())
                names.append(tag)
                flags = self.int()
                kind, has_attr, has_tag = flags & 0xFF, flags & 512, flags & 1024
                if kind == NILVALUE:
                    break
                if kind not in (LIST, LANG, ATTRLIST, ATTRLANG):
                    self.at -= 4
                    items.append(self.item())
                    names.append(None)
                    break
            result = RList(items, attributes if isinstance(attributes, dict) else {})
            result.attributes["__pairs__"] = dict(zip(names, items))
            return result
        if kind == CHAR:
            n = self.int()
            return None if n == -1 else self.bytes(n).decode("utf-8", "replace")
        if kind in (LGL, INT):
            n = self.int()
            value = list(struct.unpack_from(f">{n}i", self.data, self.at))
            self.at += 4 * n
        elif kind == REAL:
            n = self.int()
            value = list(struct.unpack_from(f">{n}d", self.data, self.at))
            self.at += 8 * n
        elif kind in (STR, VEC, EXPR):
            n = self.int()
            value = [self.item() for _ in range(n)]
        else:
            raise ValueError(f"unsupported R object type {kind}")
        if has_attr:
            attributes = self.item()
            if isinstance(value, list) and isinstance(attributes, RList):
                value = RList(value, attributes.attributes.get("__pairs__", {}))
        return value


def unserialize(data):
    """An R object from R's XDR serialization ('X\\n' format)."""
    if data[:2] != b"X\n":
        raise ValueError("not an XDR-serialized R object")
    reader = _Reader(data)
    reader.at = 2
    version = reader.int()
    reader.int()  # writer version
    reader.int()  # minimal reader version
    if version == 3:
        reader.bytes(reader.int())  # native encoding
    return reader.item()


def _decompress(blob):
    """One .rdb entry: a big-endian length, then zlib data (or, with a
    type byte, bzip2 '2', xz 'Z' or stored '0')."""
    length = struct.unpack(">I", blob[:4])[0]
    kind, body = blob[4:5], blob[5:]
    if kind == b"Z":
        return lzma.decompress(body)[:length]
    if kind == b"2":
        return bz2.decompress(body)[:length]
    if kind == b"0":
        return body[:length]
    return zlib.decompress(blob[4:])[:length]


class LazyLoadDB:
    """The variables of an R lazy-load database (PATH.rdx + PATH.rdb)."""

    def __init__(self, path):
        with open(path + ".rdx", "rb") as f:
            raw = f.read()
        index = unserialize(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b"
                            else _decompress(raw))
        pairs = dict(zip(index.attributes.get("names", []), index))
        variables = pairs["variables"]
        self._offsets = dict(zip(variables.attributes["names"], variables))
        with open(path + ".rdb", "rb") as f:
            self._data = f.read()

    def names(self):
        return list(self._offsets)

    def __getitem__(self, name):
        offset, length = self._offsets[name]
        return unserialize(_decompress(self._data[offset:offset + length]))
