"""Bit and token accounting of quantizer configurations, as pure functions.

The arithmetic itself lives in `bench.bitrate` (nominal bits = sum of log2
codebook sizes, **not** rounded up; packed bits = ceil(log2(product)) jointly
or the sum of per-field ceilings). This module applies it to quantizers:

- `account(...)`: one quantizer's figures at a frame rate, per stream and per
  field. FSQ and Q2D2 count as one token per frame (their implicit codebook is
  one stream); the per-field token rate (fields x frame rate) is reported too.
- `nearest_configs(target_bps, frame_rate)`: for matched-bitrate comparisons,
  the configurations of each family whose exact nominal bitrate comes nearest
  to a target.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from bench import bitrate
from bench.quantizers.grids import point_count

FAMILIES = ("fsq", "q2d2-rectangular", "q2d2-hexagonal", "q2d2-rhombic", "vq", "rvq")


@dataclass(frozen=True)
class Accounting:
    """Bits and tokens of one quantizer configuration at one frame rate.

    Attributes:
        codebook_sizes: per stream.
        field_sizes: per stream, the mixed-radix fields (None for explicit codebooks).
        frame_rate: frames/s (Hz).
        bits_per_frame: nominal, sum of log2 codebook sizes (not rounded up).
        bitrate: nominal bits/s.
        packed_bits_per_frame: fixed-length bitstream, each stream packed jointly
            (ceil(log2 size) per stream, the mixed-radix product for implicit codebooks).
        packed_bits_per_frame_fields: each field packed on its own (sum of ceilings).
        token_rate: tokens/s, one per stream per frame.
        field_token_rate: tokens/s counting each field as a token (= token_rate
            for explicit codebooks).
        field_bits: per stream, log2 of each field size (bits).
    """

    codebook_sizes: tuple[int, ...]
    field_sizes: tuple[tuple[int, ...], ...] | None
    frame_rate: float
    bits_per_frame: float
    bitrate: float
    packed_bits_per_frame: int
    packed_bits_per_frame_fields: int
    token_rate: float
    field_token_rate: float
    field_bits: tuple[tuple[float, ...], ...] | None

    @property
    def packed_bitrate(self) -> float:
        """bits/s of the jointly packed fixed-length bitstream."""
        return self.packed_bits_per_frame * self.frame_rate


def account(codebook_sizes: Sequence[int], frame_rate: float,
            field_sizes: Sequence[Sequence[int]] | None = None) -> Accounting:
    """Accounting of streams with `codebook_sizes` (and optional per-stream fields) at `frame_rate`."""
    sizes = tuple(int(s) for s in codebook_sizes)
    frame_rate = float(frame_rate)
    fields = None if field_sizes is None else tuple(tuple(int(v) for v in f) for f in field_sizes)
    if fields is not None:
        if len(fields) != len(sizes):
            raise ValueError(f"{len(fields)} field lists for {len(sizes)} streams")
        for f, s in zip(fields, sizes):
            if math.prod(f) != s:
                raise ValueError(f"field sizes {list(f)} multiply to {math.prod(f)}, not {s}")
    per_stream_fields = fields if fields is not None else tuple((s,) for s in sizes)
    return Accounting(
        codebook_sizes=sizes,
        field_sizes=fields,
        frame_rate=frame_rate,
        bits_per_frame=bitrate.nominal_bits_per_frame(sizes),
        bitrate=bitrate.nominal_bitrate(sizes, frame_rate),
        packed_bits_per_frame=sum(bitrate.packed_bits_joint(f) for f in per_stream_fields),
        packed_bits_per_frame_fields=sum(bitrate.packed_bits_per_field(f) for f in per_stream_fields),
        token_rate=bitrate.token_rate(len(sizes), frame_rate),
        field_token_rate=bitrate.token_rate(sum(len(f) for f in per_stream_fields), frame_rate),
        field_bits=None if fields is None else tuple(tuple(math.log2(v) for v in f) for f in fields),
    )


def account_quantizer(quantizer: Any, frame_rate: float) -> Accounting:
    """`account` for a built quantizer (uses its codebook_sizes and field_sizes)."""
    return account(quantizer.codebook_sizes, frame_rate, quantizer.field_sizes)


@dataclass(frozen=True)
class ConfigRow:
    """One candidate configuration near a target bitrate.

    Attributes:
        family: one of `FAMILIES`.
        params: the quantizer parameters as (key, value) pairs; `config` turns
            them into a mapping for `build_quantizer_from_config`.
        bits_per_frame: nominal bits per frame (exact, not rounded up).
        bitrate: nominal bits/s at the requested frame rate.
        rel_error: (bitrate - target) / target.
    """

    family: str
    params: tuple[tuple[str, Any], ...]
    bits_per_frame: float
    bitrate: float
    rel_error: float

    @property
    def config(self) -> dict[str, Any]:
        """``{name: ..., **params}`` with lists for list values."""
        name = "q2d2" if self.family.startswith("q2d2") else self.family
        return {"name": name, **{k: list(v) if isinstance(v, tuple) else v for k, v in self.params}}


def _two_value_lists(n_max: int, v_min: int, v_max: int) -> Iterable[tuple[int, ...]]:
    """Non-increasing lists of length 1..n_max using at most two distinct values in [v_min, v_max]."""
    for n in range(1, n_max + 1):
        for hi in range(v_min, v_max + 1):
            for lo in range(v_min, hi + 1):
                for n_hi in range(1, n) if lo < hi else (n,):
                    yield (hi,) * n_hi + (lo,) * (n - n_hi)


def _candidates(family: str) -> Iterable[tuple[tuple[tuple[str, Any], ...], float]]:
    """(params, bits per frame) of the configurations searched for one family."""
    if family == "fsq":
        for levels in _two_value_lists(12, 2, 16):
            yield (("levels", levels),), sum(math.log2(v) for v in levels)
    elif family.startswith("q2d2-"):
        grid = family.split("-", 1)[1]
        for pair_levels in _two_value_lists(6, 2, 16):
            levels = tuple(itertools.chain.from_iterable((v, v) for v in pair_levels))
            bits = sum(math.log2(point_count(grid, v, v)) for v in pair_levels)
            yield (("grid", grid), ("levels", levels)), bits
    elif family == "vq":
        for k in range(1, 21):
            yield (("codebook_size", 2 ** k),), float(k)
    elif family == "rvq":
        for n, k in itertools.product(range(1, 33), range(4, 15)):
            yield (("n_stages", n), ("codebook_size", 2 ** k)), float(n * k)
    else:
        raise ValueError(f"unknown family {family!r}; allowed: {', '.join(FAMILIES)}")


def _plainness(params: tuple[tuple[str, Any], ...]) -> tuple:
    """Tie-break between equal bitrates: smaller largest level / codebook first, then fewer fields."""
    values = dict(params)
    sizes = values.get("levels") or (values.get("codebook_size", 0),)
    return max(sizes), len(sizes), values.get("n_stages", 1)


def nearest_configs(target_bps: float, frame_rate: float, families: Sequence[str] = FAMILIES,
                    per_family: int = 3) -> list[ConfigRow]:
    """Configurations of each family whose nominal bitrate is nearest `target_bps`.

    Searched spaces: FSQ levels and Q2D2 per-pair levels (Lx = Ly) as
    non-increasing lists with at most two distinct values in 2..16 (FSQ up to
    12 dimensions, Q2D2 up to 6 pairs); VQ codebooks 2^1..2^20; RVQ 1..32
    stages of 2^4..2^14 codes.

    Args:
        target_bps: target nominal bitrate, bits/s.
        frame_rate: frames/s (Hz).
        families: subset of `FAMILIES`.
        per_family: rows returned per family.

    Returns:
        Rows sorted by family (in the given order), then |rel_error|, then
        plainness (smaller largest level or codebook, then fewer fields).
    """
    if target_bps <= 0 or frame_rate <= 0:
        raise ValueError(f"target_bps and frame_rate must be positive, got {target_bps}, {frame_rate}")
    rows: list[ConfigRow] = []
    for family in families:
        scored = sorted(((abs(bits * frame_rate - target_bps), _plainness(p), p, bits)
                         for p, bits in _candidates(family)), key=lambda t: (t[0], t[1]))
        for _, _, params, bits in scored[:per_family]:
            rate = bits * frame_rate
            rows.append(ConfigRow(family, params, bits, rate, (rate - target_bps) / target_bps))
    return rows


def format_rows(rows: Sequence[ConfigRow]) -> str:
    """Plain-text table of `nearest_configs` rows."""
    lines = [f"{'family':<18} {'bits/frame':>10} {'bit/s':>10} {'rel.err':>8}  config"]
    for r in rows:
        params = ", ".join(f"{k}={list(v) if isinstance(v, tuple) else v}" for k, v in r.params)
        lines.append(f"{r.family:<18} {r.bits_per_frame:>10.4f} {r.bitrate:>10.1f} "
                     f"{r.rel_error:>+8.2%}  {params}")
    return "\n".join(lines)
