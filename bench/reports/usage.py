"""Code counts for the usage plots, from token indices (pure numpy).

`plots.codebook_usage` wants counts per code; `plots.occupancy_maps` wants,
for each Q2D2 pair, its grid points and how often each was chosen. The
runner has the indices (cached codes [frames, K]); for Q2D2 the per-pair
digits come from `bench.quantizers.base.mixed_radix_decode` and the points
from `Q2D2.pair_points(p)`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np


def code_counts(indices: np.ndarray, codebook_sizes: Sequence[int]) -> list[np.ndarray]:
    """Per stream, how often each code occurs.

    Args:
        indices: tokens [N, K] (N frames, K streams), integers.
        codebook_sizes: size of each of the K codebooks.

    Returns:
        K arrays, the k-th of length codebook_sizes[k].

    Raises:
        ValueError: shape mismatch or an index outside its codebook.
    """
    idx = np.asarray(indices)
    if idx.ndim != 2 or idx.shape[1] != len(codebook_sizes):
        raise ValueError(f"indices must be [N, {len(codebook_sizes)}], got shape {idx.shape}")
    out = []
    for k, size in enumerate(codebook_sizes):
        col = idx[:, k]
        if col.size and (col.min() < 0 or col.max() >= size):
            raise ValueError(f"stream {k}: indices span [{col.min()}, {col.max()}], outside [0, {size})")
        out.append(np.bincount(col.astype(np.int64), minlength=size))
    return out


def occupancy_from_digits(digits: np.ndarray, pair_points: Sequence[np.ndarray]
                          ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per Q2D2 pair: (grid points [n_p, 2], counts [n_p]) from per-pair point indices.

    Args:
        digits: per-frame point index of each pair [N, P].
        pair_points: the P grids, each [n_p, 2] in index order.

    Raises:
        ValueError: shape mismatch or a digit outside its grid.
    """
    d = np.asarray(digits)
    if d.ndim != 2 or d.shape[1] != len(pair_points):
        raise ValueError(f"digits must be [N, {len(pair_points)}], got shape {d.shape}")
    sizes = [int(np.asarray(p).shape[0]) for p in pair_points]
    counts = code_counts(d, sizes)
    return [(np.asarray(p, dtype=np.float64), c) for p, c in zip(pair_points, counts)]
