"""Codes <-> fixed-length bitstreams, losslessly, under several packing schemes.

A frame's codes are split into *symbols*, each written as a fixed-length
codeword, most significant bit first; frames follow one another, so a batch
item of F frames is exactly ``F * bits_per_frame`` bits. Schemes:

- ``stream``: one symbol per stream, natural binary, ceil(log2 codebook size)
  bits. For a one-stream implicit codebook (FSQ, Q2D2) the stream index *is*
  the joint mixed-radix integer of its fields (first field least significant).
- ``joint``: one symbol per frame, the mixed-radix integer of all K streams
  (stream 0 least significant), ceil(log2 prod sizes) bits. Only offered when
  K > 1 (for K = 1 it equals ``stream``) and the product fits 62 bits.
- ``field``: one symbol per field of an implicit codebook (FSQ dimension,
  Q2D2 pair), natural binary, ceil(log2 field size) bits each.
- ``field-gray``: as ``field`` with Gray-like codewords (`gray`): the
  reflected Gray code of an FSQ level, the snake-path Gray code of a Q2D2
  grid point. Needs the field geometry (`FieldGeometry`).

Out of range: a corrupted codeword can name a rank >= N (N values of that
symbol; natural binary: the codeword itself, Gray: its Gray decode). The rule
``clamp`` maps it to rank N - 1, ``wrap`` to rank mod N. Both are
deterministic; `unpack` counts such symbols.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np

from bench.robustness.gray import (Ordering, grid_gray_ordering, level_gray_ordering,
                                   natural_ordering)

SCHEMES = ("stream", "joint", "field", "field-gray")
RULES = ("clamp", "wrap")
_MAX_SYMBOL_BITS = 62


@dataclass(frozen=True)
class FieldGeometry:
    """Where a field's values lie: ``line`` (levels (L,)) or a Q2D2 grid kind (levels (Lx, Ly))."""

    kind: str
    levels: tuple[int, ...]

    def gray_ordering(self) -> Ordering:
        if self.kind == "line":
            return level_gray_ordering(self.levels[0])
        return grid_gray_ordering(self.kind, *self.levels)


def field_geometry(quantizer: Mapping[str, Any] | None) -> tuple[tuple[FieldGeometry, ...], ...] | None:
    """Per stream, the geometry of each field of a quantizer config block (None if not implicit).

    Args:
        quantizer: e.g. ``{"name": "fsq", "levels": [4]*8}`` or
            ``{"name": "q2d2", "grid": "rhombic", "levels": [9,9,7,7,7,7]}``.
    """
    if not quantizer:
        return None
    name, levels = quantizer.get("name"), quantizer.get("levels")
    if name == "fsq":
        from bench.quantizers.fsq import NEUCODEC_LEVELS
        levels = tuple(levels or NEUCODEC_LEVELS)
        return (tuple(FieldGeometry("line", (int(l),)) for l in levels),)
    if name == "q2d2":
        from bench.quantizers.q2d2 import PAPER_LEVELS
        levels = tuple(levels or PAPER_LEVELS)
        kind = quantizer.get("grid", "rhombic")
        return (tuple(FieldGeometry(kind, (int(levels[i]), int(levels[i + 1])))
                      for i in range(0, len(levels), 2)),)
    return None


def applicable_schemes(codebook_sizes: Sequence[int], field_sizes, geometry) -> list[str]:
    """The schemes that apply to a codec, in `SCHEMES` order, without duplicates."""
    out = ["stream"]
    if len(codebook_sizes) > 1 and math.prod(codebook_sizes) <= 2 ** _MAX_SYMBOL_BITS:
        out.append("joint")
    if field_sizes is not None and any(len(f) > 1 for f in field_sizes):
        out.append("field")            # with one field per stream it would equal "stream"
    if field_sizes is not None and geometry is not None:
        out.append("field-gray")
    return out


def mixed_radix_split(values: np.ndarray, radices: Sequence[int]) -> np.ndarray:
    """Numpy mixed-radix digits: [...] -> [..., len(radices)], first field least significant."""
    digits = []
    for r in radices:
        digits.append(values % r)
        values = values // r
    return np.stack(digits, -1)


def mixed_radix_join(digits: np.ndarray, radices: Sequence[int]) -> np.ndarray:
    """Inverse of `mixed_radix_split`: digits [..., len(radices)] -> int64 [...]."""
    out = np.zeros(digits.shape[:-1], dtype=np.int64)
    for i in reversed(range(len(radices))):
        out = out * int(radices[i]) + digits[..., i]
    return out


@dataclass(frozen=True)
class Unpacked:
    """Result of `Packing.unpack`: indices [B, K, F] and the out-of-range count."""

    indices: np.ndarray
    n_out_of_range: int
    n_symbols: int


@dataclass(frozen=True)
class Packing:
    """One packing scheme for one codec's geometry; build with `make_packing`.

    Attributes:
        scheme: one of `SCHEMES`.
        codebook_sizes: per stream.
        field_sizes: per stream, the field radices used by the field schemes.
        orderings: per symbol of a frame, in bit order.
        rule: out-of-range rule, one of `RULES`.
    """

    scheme: str
    codebook_sizes: tuple[int, ...]
    field_sizes: tuple[tuple[int, ...], ...]
    orderings: tuple[Ordering, ...]
    rule: str

    @property
    def bits_per_frame(self) -> int:
        return sum(o.bits for o in self.orderings)

    @property
    def name(self) -> str:
        return self.scheme

    def symbols(self, indices: np.ndarray) -> np.ndarray:
        """Indices [B, K, F] -> symbol values [B, F, S]."""
        idx = np.asarray(indices, dtype=np.int64).transpose(0, 2, 1)
        if self.scheme == "stream":
            return idx
        if self.scheme == "joint":
            return mixed_radix_join(idx, self.codebook_sizes)[..., None]
        parts = [mixed_radix_split(idx[..., k], f) for k, f in enumerate(self.field_sizes)]
        return np.concatenate(parts, -1)

    def indices(self, symbols: np.ndarray) -> np.ndarray:
        """Symbol values [B, F, S] -> indices [B, K, F] (inverse of `symbols`)."""
        if self.scheme == "stream":
            idx = symbols
        elif self.scheme == "joint":
            idx = mixed_radix_split(symbols[..., 0], self.codebook_sizes)
        else:
            cols, s = [], 0
            for f in self.field_sizes:
                cols.append(mixed_radix_join(symbols[..., s:s + len(f)], f))
                s += len(f)
            idx = np.stack(cols, -1)
        return np.ascontiguousarray(idx.transpose(0, 2, 1))

    def pack(self, indices: np.ndarray) -> np.ndarray:
        """Indices [B, K, F] (within their codebooks) -> bits uint8 [B, F * bits_per_frame]."""
        idx = np.asarray(indices, dtype=np.int64)
        if idx.ndim != 3 or idx.shape[1] != len(self.codebook_sizes):
            raise ValueError(f"expected indices [B, {len(self.codebook_sizes)}, F], got {idx.shape}")
        for k, size in enumerate(self.codebook_sizes):
            if idx[:, k].size and (idx[:, k].min() < 0 or idx[:, k].max() >= size):
                raise ValueError(f"stream {k}: indices outside [0, {size}); cannot pack")
        sym = self.symbols(idx)
        words = []
        for s, o in enumerate(self.orderings):
            cw = o.encode(sym[..., s])
            shifts = np.arange(o.bits - 1, -1, -1, dtype=np.int64)
            words.append(((cw[..., None] >> shifts) & 1).astype(np.uint8))
        bits = np.concatenate(words, -1)                       # [B, F, bits_per_frame]
        return bits.reshape(bits.shape[0], -1)

    def unpack(self, bits: np.ndarray) -> Unpacked:
        """Bits [B, F * bits_per_frame] -> indices [B, K, F], applying the out-of-range rule."""
        bits = np.asarray(bits)
        bpf = self.bits_per_frame
        if bits.ndim != 2 or (bpf and bits.shape[1] % bpf):
            raise ValueError(f"expected bits [B, F * {bpf}], got shape {bits.shape}")
        frames = bits.reshape(bits.shape[0], -1, bpf).astype(np.int64)
        values, n_oor, start = [], 0, 0
        for o in self.orderings:
            word = frames[..., start:start + o.bits]
            start += o.bits
            cw = (word << np.arange(o.bits - 1, -1, -1, dtype=np.int64)).sum(-1)
            rank = o.rank(cw)
            bad = rank >= o.n_values
            n_oor += int(bad.sum())
            rank = np.minimum(rank, o.n_values - 1) if self.rule == "clamp" else rank % o.n_values
            values.append(o.value(rank))
        sym = np.stack(values, -1)
        return Unpacked(self.indices(sym), n_oor, int(sym.size))


def make_packing(scheme: str, codebook_sizes: Sequence[int], field_sizes=None, geometry=None,
                 rule: str = "clamp") -> Packing:
    """Build a packing; ValueError naming the allowed values when it does not apply.

    Args:
        scheme: one of `SCHEMES`.
        codebook_sizes: per stream (Codes.codebook_sizes).
        field_sizes: per stream field radices (Codes.field_sizes), for the field schemes.
        geometry: per stream per field `FieldGeometry` (from `field_geometry`), for field-gray.
        rule: one of `RULES`.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown packing scheme {scheme!r}; allowed: {', '.join(SCHEMES)}")
    if rule not in RULES:
        raise ValueError(f"unknown out-of-range rule {rule!r}; allowed: {', '.join(RULES)}")
    sizes = tuple(int(s) for s in codebook_sizes)
    fields = tuple(tuple(int(v) for v in f) for f in field_sizes) if field_sizes else tuple((s,) for s in sizes)
    allowed = applicable_schemes(sizes, field_sizes, geometry)
    if scheme not in allowed:
        raise ValueError(f"packing {scheme!r} does not apply to codebooks {list(sizes)} "
                         f"(fields {field_sizes}); applicable: {', '.join(allowed)}")
    if scheme == "stream":
        orderings = [natural_ordering(s) for s in sizes]
    elif scheme == "joint":
        orderings = [natural_ordering(math.prod(sizes))]
    elif scheme == "field":
        orderings = [natural_ordering(r) for f in fields for r in f]
    else:
        geo = [g for stream in geometry for g in stream]
        radices = [r for f in fields for r in f]
        orderings = [g.gray_ordering() for g in geo]
        if [o.n_values for o in orderings] != radices:
            raise ValueError(f"field geometry {geo} does not match field sizes {fields}")
    for o in orderings:
        if o.bits > _MAX_SYMBOL_BITS:
            raise ValueError(f"packing {scheme!r}: a {o.bits}-bit symbol does not fit int64")
    return Packing(scheme, sizes, fields, tuple(orderings), rule)
