"""Q2D2: two-dimensional grid quantization (Shuster & Nachmani, arXiv 2512.01537).

The projected latent (d even) is bounded by tanh and dimension i scaled by
L_i / 2; consecutive dimensions (0,1), (2,3), ... form pairs, and pair p is
snapped to the nearest point of a fixed finite grid with levels
(L_2p, L_2p+1) (see `grids` for the coordinates, the closed-form search and
the tie rule). Gradients pass by the straight-through estimator.

The pair's point index is a field with radix N_p (points in that pair's grid);
the frame's implicit code is the mixed-radix integer over pairs, first pair
least significant. The paper's best configuration, rhombic
[9, 9, 7, 7, 7, 7], has 145 * 85 * 85 = 1,047,625 codes, 19.9987 bits/frame.
"""
from __future__ import annotations

from typing import Sequence

import torch

from bench.quantizers.grids import GRID_KINDS, Grid
from bench.quantizers.implicit import ImplicitQuantizer, check_levels
from bench.registry import QUANTIZERS

PAPER_LEVELS = (9, 9, 7, 7, 7, 7)


@QUANTIZERS.register("q2d2")
class Q2D2(ImplicitQuantizer):
    """Q2D2 with one grid per pair of dimensions.

    Args:
        input_dim: D, the encoder dimension.
        grid: "rectangular", "hexagonal" or "rhombic".
        levels: L_i per dimension, an even number of them (paper: [9,9,7,7,7,7]).
        project: learn projections D -> d -> D (required unless D == len(levels)).
    """

    def __init__(self, input_dim: int, grid: str = "rhombic", levels: Sequence[int] = PAPER_LEVELS,
                 project: bool = True):
        levels = check_levels(levels, "q2d2")
        if len(levels) % 2:
            raise ValueError(f"q2d2: needs an even number of levels (dimensions form pairs), "
                             f"got {len(levels)}: {list(levels)}")
        if grid not in GRID_KINDS:
            raise ValueError(f"q2d2: unknown grid {grid!r}; allowed: {', '.join(GRID_KINDS)}")
        grids = [Grid(grid, levels[2 * p], levels[2 * p + 1]) for p in range(len(levels) // 2)]
        super().__init__(input_dim, levels, [g.n_points for g in grids], project)
        self.grid_kind = grid
        self.grids = tuple(grids)
        for p, g in enumerate(grids):
            self.register_buffer(f"points_{p}", g.points.float(), persistent=False)

    @property
    def n_pairs(self) -> int:
        return len(self.grids)

    def pair_points(self, p: int) -> torch.Tensor:
        """Points [N_p, 2] of pair p's grid, in the module's dtype and device."""
        return getattr(self, f"points_{p}")

    def _snap(self, u: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        digits = torch.stack([g.nearest(u[:, 2 * p:2 * p + 2]) for p, g in enumerate(self.grids)], 1)
        return self._digits_to_scaled(digits).to(u.dtype), digits

    def _digits_to_scaled(self, digits: torch.Tensor) -> torch.Tensor:
        # Table lookup (not the snapped coordinates) so quantize and dequantize agree bit for bit.
        return torch.cat([self.pair_points(p)[digits[:, p]] for p in range(self.n_pairs)], 1)

    def extra_repr(self) -> str:
        return f"grid={self.grid_kind!r}, levels={list(self.levels)}, " + super().extra_repr()
