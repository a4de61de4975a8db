"""Shared machinery of the implicit-codebook quantizers (FSQ and Q2D2).

Both follow the same path (NeuCodec / Q2D2 paper):

    z [B, D, F] -> linear D -> d -> tanh -> scale dimension i by L_i / 2
      -> snap to the nearest code (per dimension for FSQ, per pair for Q2D2)
      -> straight-through -> divide by L_i / 2 -> linear d -> D -> z_hat [B, D, F]

The code of a frame is one index of the implicit codebook: the mixed-radix
integer of the per-field digits (FSQ: one field per dimension with radix L_i;
Q2D2: one field per pair with radix = points in that pair's grid), first field
least significant. So there is one stream: indices are [B, 1, F].
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn

from bench.quantizers.base import (Quantizer, check_indices, check_latent, mixed_radix_decode,
                                   mixed_radix_encode, straight_through)


def check_levels(levels: Sequence[int], who: str) -> tuple[int, ...]:
    """Levels as a tuple of ints >= 2; ValueError naming `who` otherwise."""
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence) or len(levels) == 0:
        raise ValueError(f"{who}: levels must be a non-empty list of integers, got {levels!r}")
    out = []
    for v in levels:
        if isinstance(v, bool) or int(v) != v or v < 2:
            raise ValueError(f"{who}: every level must be an integer >= 2, got {list(levels)}")
        out.append(int(v))
    return tuple(out)


class ImplicitQuantizer(Quantizer):
    """Projection, bounding, straight-through and mixed-radix indexing.

    Subclasses implement `_snap` (scaled latent -> scaled code and field
    digits) and `_digits_to_scaled` (field digits -> scaled code).

    Args:
        input_dim: D, the encoder dimension fed in.
        levels: L_i per latent dimension (d = len(levels)).
        field_sizes: radix of each field of the implicit code.
        project: learn linear projections D -> d and d -> D (required unless D == d).
    """

    def __init__(self, input_dim: int, levels: Sequence[int], field_sizes: Sequence[int],
                 project: bool = True):
        super().__init__()
        self.input_dim = int(input_dim)
        self.levels = tuple(levels)
        self.dim = len(self.levels)
        if not project and self.input_dim != self.dim:
            raise ValueError(f"project=False needs input_dim == len(levels) = {self.dim}, "
                             f"got input_dim={self.input_dim}")
        self.project_in = nn.Linear(self.input_dim, self.dim) if project else nn.Identity()
        self.project_out = nn.Linear(self.dim, self.input_dim) if project else nn.Identity()
        self.register_buffer("half_levels", torch.tensor([l / 2.0 for l in self.levels]),
                             persistent=False)
        radices = tuple(int(n) for n in field_sizes)
        self.field_sizes = (radices,)
        self.codebook_sizes = (math.prod(radices),)
        mixed_radix_encode(torch.zeros(len(radices), dtype=torch.long), radices)  # int64 range check

    def _snap(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Scaled latent u [N, d] -> (scaled code [N, d], field digits int64 [N, n_fields])."""
        raise NotImplementedError

    def _digits_to_scaled(self, digits: torch.Tensor) -> torch.Tensor:
        """Field digits int64 [N, n_fields] -> scaled code [N, d]."""
        raise NotImplementedError

    def scale(self, z: torch.Tensor) -> torch.Tensor:
        """Encoder latent [B, D, F] -> bounded, scaled latent u [B, F, d] in (-L/2, L/2)."""
        check_latent(z, self.input_dim)
        h = self.project_in(z.transpose(1, 2))
        return torch.tanh(h) * self.half_levels.to(h.dtype)

    def _unscale(self, q: torch.Tensor) -> torch.Tensor:
        """Scaled code [B, F, d] -> z_hat [B, D, F]."""
        return self.project_out(q / self.half_levels.to(q.dtype)).transpose(1, 2)

    def quantize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        u = self.scale(z)
        b, f, d = u.shape
        q, digits = self._snap(u.detach().reshape(b * f, d))
        q = straight_through(u, q.reshape(b, f, d))
        index = mixed_radix_encode(digits, self.field_sizes[0]).reshape(b, 1, f)
        return self._unscale(q), index

    def dequantize(self, indices: torch.Tensor) -> torch.Tensor:
        check_indices(indices, self.codebook_sizes)
        b, _, f = indices.shape
        digits = mixed_radix_decode(indices.reshape(b * f), self.field_sizes[0])
        q = self._digits_to_scaled(digits).to(self.half_levels.dtype)
        return self._unscale(q.reshape(b, f, self.dim))

    def codes_to_scaled(self, indices: torch.Tensor) -> torch.Tensor:
        """Indices [B, 1, F] -> scaled codes [B, F, d] (the grid coordinates, before project_out)."""
        check_indices(indices, self.codebook_sizes)
        b, _, f = indices.shape
        digits = mixed_radix_decode(indices.reshape(b * f), self.field_sizes[0])
        return self._digits_to_scaled(digits).reshape(b, f, self.dim)
