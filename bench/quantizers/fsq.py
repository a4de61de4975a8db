"""Finite scalar quantization (FSQ), as in NeuCodec.

Each of the d projected dimensions is bounded by tanh, scaled by L_i / 2 and
rounded to the nearest of L_i evenly spaced values centred on zero,
``k - (L_i - 1)/2`` for k in [0, L_i). With this bounding every value owns a
cell of width 1 inside (-L_i/2, L_i/2), the same convention as Q2D2, so FSQ
with levels (L, L) is exactly Q2D2 rectangular L x L (see the tests). It
differs from the FSQ paper's bound (tanh scaled by (L-1)/2, which gives the end
values half-width cells) only in how the latent is squashed before rounding.

NeuCodec: levels [4] * 8 -> 4^8 = 65,536 implicit codes, 16 bits per frame,
at 50 frames/s 800 bit/s and 50 tokens/s.
"""
from __future__ import annotations

from typing import Sequence

import torch

from bench.quantizers.grids import round_half_down_
from bench.quantizers.implicit import ImplicitQuantizer, check_levels
from bench.registry import QUANTIZERS

NEUCODEC_LEVELS = (4,) * 8


@QUANTIZERS.register("fsq")
class FSQ(ImplicitQuantizer):
    """FSQ with one field per dimension (radix L_i).

    Args:
        input_dim: D, the encoder dimension.
        levels: L_i per dimension (NeuCodec: [4]*8).
        project: learn projections D -> d -> D (required unless D == len(levels)).
    """

    def __init__(self, input_dim: int, levels: Sequence[int] = NEUCODEC_LEVELS, project: bool = True):
        levels = check_levels(levels, "fsq")
        super().__init__(input_dim, levels, levels, project)
        self.register_buffer("origin", torch.tensor([-(l - 1) / 2.0 for l in levels]), persistent=False)
        self.register_buffer("top", torch.tensor([float(l - 1) for l in levels]), persistent=False)

    def _snap(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        origin = self.origin.to(u.dtype)
        k = round_half_down_(u - origin).clamp_(min=0)
        k = torch.minimum(k, self.top.to(u.dtype), out=k)
        return k + origin, k.long()

    def _digits_to_scaled(self, digits: torch.Tensor) -> torch.Tensor:
        return self.origin.to(digits.device) + digits.to(self.origin.dtype)

