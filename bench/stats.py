"""Codebook utilization statistics, as pure functions over numpy integer arrays.

For one stream of indices (one token per frame):

- `utilization`: fraction of the codebook used, distinct codes / codebook size;
- `entropy_bits`: Shannon entropy of the empirical code distribution, bits per
  token (the rate an ideal entropy coder would need);
- `perplexity`: 2 ** entropy, the "effective number of codes";
- `sample_size_caveat`: distinct codes / min(codebook size, frames). An
  implicit codebook of 2^16 (FSQ) or ~2^20 (Q2D2) codes cannot be filled by a
  test set of a few thousand frames, so utilization alone says little; this
  ratio says how many of the codes the sample *could* have shown were shown.

For implicit codebooks the same figures per field (FSQ dimension, Q2D2 pair)
are meaningful on small test sets: `field_stats`. `pair_occupancy` counts the
uses of each point of a Q2D2 pair's grid, for usage maps. `token_stats`
bundles everything for one codec on one dataset.

Implicit codes are split into fields with the first field least significant
(as in `bench.quantizers.base`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from bench import bitrate


def _check(indices: np.ndarray, codebook_size: int | None) -> np.ndarray:
    idx = np.asarray(indices)
    if idx.size and not np.issubdtype(idx.dtype, np.integer):
        raise ValueError(f"indices must be integers, got dtype {idx.dtype}")
    idx = idx.reshape(-1).astype(np.int64)
    if idx.size == 0:
        raise ValueError("no indices: statistics of an empty stream are undefined")
    if codebook_size is not None:
        if codebook_size < 1:
            raise ValueError(f"codebook_size must be positive, got {codebook_size}")
        if idx.min() < 0 or idx.max() >= codebook_size:
            raise ValueError(f"indices outside [0, {codebook_size}): min {idx.min()}, max {idx.max()}")
    return idx


def code_counts(indices: np.ndarray, codebook_size: int | None = None) -> np.ndarray:
    """Counts of the distinct codes that occur (zero counts are not listed)."""
    return np.unique(_check(indices, codebook_size), return_counts=True)[1]


def utilization(indices: np.ndarray, codebook_size: int) -> float:
    """Fraction of the codebook used: distinct codes / codebook_size, in [0, 1]."""
    return len(code_counts(indices, codebook_size)) / codebook_size


def entropy_bits(indices: np.ndarray, codebook_size: int | None = None) -> float:
    """Entropy of the empirical code distribution, bits per token."""
    counts = code_counts(indices, codebook_size).astype(np.float64)
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum()) + 0.0  # + 0.0 turns -0.0 into 0.0


def perplexity(indices: np.ndarray, codebook_size: int | None = None) -> float:
    """2 ** entropy_bits: the number of equally likely codes with the same entropy."""
    return float(2.0 ** entropy_bits(indices, codebook_size))


def sample_size_caveat(indices: np.ndarray, codebook_size: int) -> float:
    """Distinct codes / min(codebook_size, number of tokens): utilization the sample could show."""
    idx = _check(indices, codebook_size)
    return len(np.unique(idx)) / min(codebook_size, idx.size)


def split_fields(indices: np.ndarray, field_sizes: Sequence[int]) -> np.ndarray:
    """Implicit codes [N] -> field digits [N, n_fields], first field least significant."""
    idx = _check(indices, math.prod(int(s) for s in field_sizes))
    digits = []
    for size in field_sizes:
        digits.append(idx % size)
        idx = idx // size
    return np.stack(digits, axis=1)


@dataclass(frozen=True)
class FieldStats:
    """Statistics of one field (FSQ dimension, Q2D2 pair) of an implicit codebook."""

    field: int
    size: int
    utilization: float
    entropy_bits: float
    perplexity: float
    sample_size_caveat: float


def field_stats(field_indices: np.ndarray, field_sizes: Sequence[int]) -> tuple[FieldStats, ...]:
    """Per-field statistics of digits [N, n_fields] with radices `field_sizes`."""
    fields = np.asarray(field_indices)
    if fields.ndim != 2 or fields.shape[1] != len(field_sizes):
        raise ValueError(f"expected field indices [N, {len(field_sizes)}], got shape {fields.shape}")
    out = []
    for i, size in enumerate(field_sizes):
        col = fields[:, i]
        h = entropy_bits(col, size)
        out.append(FieldStats(i, int(size), utilization(col, size), h, 2.0 ** h,
                              sample_size_caveat(col, size)))
    return tuple(out)


def pair_occupancy(pair_indices: np.ndarray, n_points: int) -> np.ndarray:
    """Uses of each grid point [n_points] (int64) of one Q2D2 pair, for a grid usage map.

    Plot with the grid's coordinates, `Grid(kind, Lx, Ly).points[i]` for count i.
    """
    return np.bincount(_check(pair_indices, n_points), minlength=n_points)


@dataclass(frozen=True)
class TokenStats:
    """Token statistics of one codec on one dataset.

    Attributes:
        n_frames: frames observed (per stream).
        frame_rate: frames/s (Hz).
        codebook_sizes: per stream.
        utilization, entropy_bits, perplexity, sample_size_caveat: per stream.
        fields: per stream, the per-field statistics (None for explicit codebooks).
        nominal_bitrate: frame_rate x sum(log2 codebook sizes), bits/s.
        entropy_bitrate: frame_rate x sum of per-stream entropies, bits/s: what an
            ideal entropy coder of each stream's (memoryless) token distribution needs.
        field_entropy_bitrate: frame_rate x sum over streams of the per-field
            entropies (the stream entropy for explicit codebooks), bits/s; at
            least `entropy_bitrate`, and well estimated even when the implicit
            codebook is far larger than the sample.
        token_rate: streams x frame_rate, tokens/s.
    """

    n_frames: int
    frame_rate: float
    codebook_sizes: tuple[int, ...]
    utilization: tuple[float, ...]
    entropy_bits: tuple[float, ...]
    perplexity: tuple[float, ...]
    sample_size_caveat: tuple[float, ...]
    fields: tuple[tuple[FieldStats, ...] | None, ...]
    nominal_bitrate: float
    entropy_bitrate: float
    field_entropy_bitrate: float
    token_rate: float


def token_stats(indices: np.ndarray, codebook_sizes: Sequence[int],
                field_sizes: Sequence[Sequence[int]] | None, frame_rate: float) -> TokenStats:
    """Statistics of codes [N_frames, K] (K streams) at `frame_rate` frames/s.

    Args:
        indices: integer array [N_frames, K] (concatenate a dataset's items along frames).
        codebook_sizes: size of each of the K codebooks.
        field_sizes: per stream, the mixed-radix field sizes (FSQ levels, Q2D2
            points per pair), or None for explicit codebooks.
        frame_rate: frames/s (Hz).
    """
    idx = np.asarray(indices)
    if idx.ndim != 2 or idx.shape[1] != len(codebook_sizes):
        raise ValueError(f"expected indices [N_frames, {len(codebook_sizes)}], got shape {idx.shape}")
    if field_sizes is not None and len(field_sizes) != len(codebook_sizes):
        raise ValueError(f"{len(field_sizes)} field lists for {len(codebook_sizes)} streams")
    if frame_rate <= 0:
        raise ValueError(f"frame_rate must be positive, got {frame_rate}")
    util, ent, ppl, cav, fields = [], [], [], [], []
    field_bits = 0.0
    for k, size in enumerate(codebook_sizes):
        col = idx[:, k]
        h = entropy_bits(col, size)
        util.append(utilization(col, size))
        ent.append(h)
        ppl.append(2.0 ** h)
        cav.append(sample_size_caveat(col, size))
        fs = None if field_sizes is None else field_sizes[k]
        if fs is not None:
            if math.prod(fs) != size:
                raise ValueError(f"stream {k}: field sizes {list(fs)} multiply to "
                                 f"{math.prod(fs)}, not {size}")
            per_field = field_stats(split_fields(col, fs), fs)
            fields.append(per_field)
            field_bits += sum(f.entropy_bits for f in per_field)
        else:
            fields.append(None)
            field_bits += h
    fr = float(frame_rate)
    return TokenStats(
        n_frames=int(idx.shape[0]), frame_rate=fr,
        codebook_sizes=tuple(int(s) for s in codebook_sizes),
        utilization=tuple(util), entropy_bits=tuple(ent), perplexity=tuple(ppl),
        sample_size_caveat=tuple(cav), fields=tuple(fields),
        nominal_bitrate=bitrate.nominal_bitrate(codebook_sizes, fr),
        entropy_bitrate=fr * sum(ent), field_entropy_bitrate=fr * field_bits,
        token_rate=bitrate.token_rate(len(codebook_sizes), fr))
