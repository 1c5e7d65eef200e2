"""Copies of a GGUF file with one metadata string changed or removed: models without (or with a
broken) chat template, made from the bundled one without a GGUF library."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

_SCALAR = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}
_STRING, _ARRAY = 8, 9
ALIGNMENT_KEY = "general.alignment"


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str):
        value = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return value[0]

    def string(self) -> str:
        n = self.take("Q")
        self.pos += n
        return self.data[self.pos - n : self.pos].decode("utf-8")

    def skip_value(self, kind: int) -> None:
        if kind == _STRING:
            self.string()
        elif kind == _ARRAY:
            item, count = self.take("I"), self.take("Q")
            if item in _SCALAR:
                self.pos += _SCALAR[item] * count
            else:
                for _ in range(count):
                    self.skip_value(item)
        else:
            self.pos += _SCALAR[kind]


def _string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack("<Q", len(raw)) + raw


def copy_with_metadata(source: Path, target: Path, key: str, value: str | None) -> Path:
    """Write `target`: `source` with metadata `key` set to the string `value`, or dropped when None."""
    with open(source, "rb") as fh:
        head = fh.read(64 * 1024 * 1024)  # metadata and tensor infos; the weights follow
    r = _Reader(head)
    magic, version, n_tensors, n_kv = r.take("4s"), r.take("I"), r.take("Q"), r.take("Q")
    entries, alignment = [], 32
    for _ in range(n_kv):
        start = r.pos
        name, kind = r.string(), r.take("I")
        if name == ALIGNMENT_KEY:
            alignment = struct.unpack_from("<I", head, r.pos)[0]
        r.skip_value(kind)
        if name != key:
            entries.append(head[start : r.pos])
    if value is not None:
        entries.append(_string(key) + struct.pack("<I", _STRING) + _string(value))
    infos_start = r.pos
    for _ in range(n_tensors):
        r.string()
        n_dims = r.take("I")
        r.pos += 8 * n_dims + 4 + 8  # dims, type, offset
    infos = head[infos_start : r.pos]
    data_start = -(-r.pos // alignment) * alignment

    out = bytearray(magic + struct.pack("<IQQ", version, n_tensors, len(entries)))
    out += b"".join(entries) + infos
    out += b"\0" * (-len(out) % alignment)
    with open(source, "rb") as src, open(target, "wb") as dst:
        dst.write(out)
        src.seek(data_start)
        shutil.copyfileobj(src, dst, 16 * 1024 * 1024)
    return target
