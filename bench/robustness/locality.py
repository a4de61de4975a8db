"""Code locality: do nearby inputs (or two encoders) give nearby codes?

Two probes share one comparison (`compare_codes`), which takes two code
arrays of the same audio and reports, per field:

- ``unchanged``: fraction of frames whose field value is identical;
- ``within_one``: fraction within one level (scalar fields: FSQ dimensions,
  PCM and mu-law samples, |a - b| <= 1) or one grid neighbour (Q2D2 pairs:
  equal, or adjacent in the grid's lattice, `Grid.neighbours`); NaN for
  explicit codebooks (VQ, RVQ), whose indices have no geometry;
- ``chance_within_one``: the same fraction for two *independent* draws from
  the two arrays' value histograms, the level a comparison must beat to say
  anything;

and over whole frames, ``frames_unchanged`` (every stream identical).

Probe 1 perturbs the input with white Gaussian noise at a given SNR
(`add_white_noise`); probe 2 compares two models trained with different seeds
on the same config. Everything here is pure numpy; running codecs is the
caller's job (`bench.robustness.probes`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Sequence

import numpy as np

from bench.robustness.packing import FieldGeometry, mixed_radix_split

NOISE_SNRS_DB = (40.0, 30.0, 20.0)


def add_white_noise(x: np.ndarray, snr_db: float, seed: int) -> np.ndarray:
    """x plus seeded white Gaussian noise whose power is mean(x^2) / 10^(snr_db/10).

    Raises:
        ValueError: x is silent (the SNR is undefined).
    """
    x = np.asarray(x, dtype=np.float64)
    power = float(np.mean(x ** 2)) if x.size else 0.0
    if power <= 0.0:
        raise ValueError("cannot add noise at a given SNR to a silent signal")
    noise = np.random.default_rng(seed).standard_normal(x.shape)
    return x + noise * math.sqrt(power / 10.0 ** (snr_db / 10.0))


@lru_cache(maxsize=32)
def _adjacency(kind: str, lx: int, ly: int) -> np.ndarray:
    from bench.quantizers.grids import Grid
    grid = Grid(kind, lx, ly)
    adj = np.eye(grid.n_points, dtype=bool)
    for a in range(grid.n_points):
        adj[a, grid.neighbours(a)] = True
    return adj


def within_one(a: np.ndarray, b: np.ndarray, geometry: FieldGeometry | None) -> np.ndarray | None:
    """Elementwise "equal or adjacent" of field values a, b; None without a geometry."""
    if geometry is None:
        return None
    if geometry.kind == "line":
        return np.abs(a - b) <= 1
    return _adjacency(geometry.kind, *geometry.levels)[a, b]


def chance_within_one(a: np.ndarray, b: np.ndarray, n_values: int, geometry: FieldGeometry | None) -> float:
    """P(within one) for independent draws from the histograms of a and b."""
    if geometry is None:
        return math.nan
    pa = np.bincount(a, minlength=n_values) / a.size
    pb = np.bincount(b, minlength=n_values) / b.size
    if geometry.kind == "line":
        near = pb.copy()
        near[1:] += pb[:-1]
        near[:-1] += pb[1:]
        return float(pa @ near)
    return float(pa @ _adjacency(geometry.kind, *geometry.levels) @ pb)


@dataclass(frozen=True)
class FieldLocality:
    """Locality of one field (or stream) between two code arrays of the same audio."""

    field: str
    unchanged: float
    within_one: float
    chance_within_one: float


@dataclass(frozen=True)
class Locality:
    frames_unchanged: float
    n_frames: int
    fields: tuple[FieldLocality, ...]


def field_names(field_sizes, geometry, n_streams: int) -> list[str]:
    """Names of the compared fields: dim<i> (FSQ), pair<i> (Q2D2) or stream<k>."""
    if field_sizes is None:
        return [f"stream{k}" for k in range(n_streams)]
    names = []
    for k, f in enumerate(field_sizes):
        geo = geometry[k] if geometry else [None] * len(f)
        for i, g in enumerate(geo):
            word = "dim" if g is not None and g.kind == "line" else "pair" if g is not None else "field"
            names.append(f"{word}{i}" if len(field_sizes) == 1 else f"s{k}.{word}{i}")
    return names


def split_fields(codes: np.ndarray, field_sizes) -> list[np.ndarray]:
    """Codes [K, F] -> per-field value arrays [F] (streams themselves without field sizes)."""
    codes = np.asarray(codes, dtype=np.int64)
    if field_sizes is None:
        return [codes[k] for k in range(codes.shape[0])]
    out = []
    for k, f in enumerate(field_sizes):
        digits = mixed_radix_split(codes[k], f)
        out += [digits[:, i] for i in range(len(f))]
    return out


def compare_codes(a: np.ndarray, b: np.ndarray, codebook_sizes: Sequence[int], field_sizes=None,
                  geometry=None) -> Locality:
    """Compare two code arrays [K, F] of the same audio (see the module docstring).

    Args:
        a, b: int codes [K, F] (same shape).
        codebook_sizes: per stream.
        field_sizes: per stream field radices for implicit codebooks, else None.
        geometry: per stream, per field (or per stream when field_sizes is
            None) `FieldGeometry` or None (no notion of "one away").
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    if a.shape != b.shape or a.ndim != 2:
        raise ValueError(f"need two code arrays [K, F] of one shape, got {a.shape} and {b.shape}")
    frames = float(np.mean(np.all(a == b, axis=0))) if a.shape[1] else math.nan
    sizes = [r for f in field_sizes for r in f] if field_sizes else list(codebook_sizes)
    geos = ([g for stream in geometry for g in stream] if geometry else [None] * len(sizes))
    names = field_names(field_sizes, geometry, a.shape[0])
    fields = []
    for name, fa, fb, n, g in zip(names, split_fields(a, field_sizes), split_fields(b, field_sizes), sizes, geos):
        near = within_one(fa, fb, g)
        fields.append(FieldLocality(name, float(np.mean(fa == fb)),
                                    float(np.mean(near)) if near is not None else math.nan,
                                    chance_within_one(fa, fb, n, g)))
    return Locality(frames, int(a.shape[1]), tuple(fields))


def locality_rows(loc: Locality, **keys) -> list[dict]:
    """Tidy rows (keys + field, measure, value): per field and the mean over fields ("all")."""
    rows = [{**keys, "field": "all", "measure": "frames_unchanged", "value": loc.frames_unchanged}]
    for measure in ("unchanged", "within_one", "chance_within_one"):
        values = [getattr(f, measure) for f in loc.fields]
        for f, v in zip(loc.fields, values):
            rows.append({**keys, "field": f.field, "measure": measure, "value": v})
        rows.append({**keys, "field": "all", "measure": measure,
                     "value": float(np.mean(values)) if values else math.nan})
    return rows
