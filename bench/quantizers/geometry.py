"""Geometry of the Q2D2 grids, measured by Monte Carlo quantization.

- `normalized_second_moment`: G = E||x - Q(x)||^2 / (n V^(2/n)) (n = 2) of
  the grid's *infinite* lattice, with x uniform over one fundamental cell of
  the lattice (far from the finite border, so the border plays no part).
  Theory: square 1/12 = 0.08333, hexagonal 5/(36 sqrt 3) = 0.08019; rhombic
  with square cells is a rotated square lattice, so 1/12 as well.
- `finite_grid_mse`: mean squared error per dimension of a finite grid on the
  tanh domain [-1, 1]^2 (scaled coordinates divided by L/2), for uniform input
  and for tanh of Gaussian input. Finite grids of equal point count are
  compared by measurement, not presumed: a hexagonal grid in a square pays at
  its border, and a rhombic grid has more points than the rectangular grid
  with the same levels.

Run ``python -m bench.quantizers.geometry`` to print both tables.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import torch

from bench.quantizers.grids import HEX_ROW, HEX_SPACING, Grid

NSM_SQUARE = 1.0 / 12.0
NSM_HEXAGONAL = 5.0 / (36.0 * math.sqrt(3.0))


def lattice_basis(kind: str) -> torch.Tensor:
    """Basis [2, 2] (rows) of the infinite lattice a grid kind is cut from (scaled plane)."""
    bases = {
        "rectangular": [[1.0, 0.0], [0.0, 1.0]],
        "rhombic": [[1.0, 0.0], [0.5, 0.5]],
        "hexagonal": [[HEX_SPACING, 0.0], [HEX_SPACING / 2, HEX_ROW]],
    }
    if kind not in bases:
        raise ValueError(f"unknown grid kind {kind!r}; allowed: {', '.join(bases)}")
    return torch.tensor(bases[kind], dtype=torch.float64)


def cell_area(kind: str) -> float:
    """Area per point of the infinite lattice (scaled plane): |det basis|."""
    return abs(float(torch.linalg.det(lattice_basis(kind))))


def normalized_second_moment(kind: str, n_samples: int = 200_000, seed: int = 0) -> float:
    """Monte Carlo G of a grid kind's infinite lattice (dimensionless).

    Samples uniform points of one fundamental parallelogram placed at the
    centre of a 15 x 15 grid, so every sample's nearest point is an interior one.
    """
    grid = Grid(kind, 15, 15)
    gen = torch.Generator().manual_seed(seed)
    uv = torch.rand(n_samples, 2, generator=gen, dtype=torch.float64)
    x = uv @ lattice_basis(kind) + grid.points[grid.nearest(torch.zeros(1, 2, dtype=torch.float64))]
    err = (x - grid.points[grid.nearest(x)]).square().sum(1).mean()
    return float(err) / (2 * cell_area(kind))


def quantize_unit(grid: Grid, xy: torch.Tensor) -> torch.Tensor:
    """Quantize points of the tanh domain [-1, 1]^2 [N, 2] on `grid`; result in the same domain."""
    half = torch.tensor([grid.lx / 2, grid.ly / 2], dtype=xy.dtype)
    return grid.points.to(xy.dtype)[grid.nearest(xy * half)] / half


@dataclass(frozen=True)
class GridMSE:
    """Measured distortion of one finite grid on the tanh domain."""

    kind: str
    lx: int
    ly: int
    n_points: int
    bits: float
    mse_uniform: float
    mse_tanh_gauss: float


def finite_grid_mse(kind: str, lx: int, ly: int, n_samples: int = 200_000, seed: int = 0,
                    sigma: float = 1.0) -> GridMSE:
    """Mean squared error per dimension on uniform [-1,1]^2 and on tanh(N(0, sigma^2)) input."""
    grid = Grid(kind, lx, ly)
    gen = torch.Generator().manual_seed(seed)
    uniform = torch.rand(n_samples, 2, generator=gen, dtype=torch.float64) * 2 - 1
    gauss = torch.tanh(sigma * torch.randn(n_samples, 2, generator=gen, dtype=torch.float64))
    mse = [float((quantize_unit(grid, x) - x).square().mean()) for x in (uniform, gauss)]
    return GridMSE(kind, lx, ly, grid.n_points, math.log2(grid.n_points), mse[0], mse[1])


EQUAL_COUNT_CONFIGS = (("rectangular", 12, 12), ("hexagonal", 12, 12), ("rhombic", 9, 9),
                       ("rectangular", 9, 9), ("hexagonal", 9, 9), ("rectangular", 9, 16),
                       ("rectangular", 8, 8), ("hexagonal", 8, 8), ("rhombic", 7, 7),
                       ("rectangular", 7, 7), ("rectangular", 9, 10))


def format_mse_table(rows: Sequence[GridMSE]) -> str:
    """Plain-text table of finite-grid distortions."""
    lines = [f"{'grid':<12} {'levels':>7} {'points':>6} {'bits':>6} {'MSE uniform':>12} {'MSE tanh(N)':>12}"]
    for r in rows:
        lines.append(f"{r.kind:<12} {f'{r.lx}x{r.ly}':>7} {r.n_points:>6} {r.bits:>6.3f} "
                     f"{r.mse_uniform:>12.3e} {r.mse_tanh_gauss:>12.3e}")
    return "\n".join(lines)


def main() -> None:
    print("Normalized second moment of the infinite lattices (Monte Carlo, 200k samples):")
    for kind, theory in (("rectangular", NSM_SQUARE), ("hexagonal", NSM_HEXAGONAL), ("rhombic", NSM_SQUARE)):
        g = normalized_second_moment(kind)
        print(f"  {kind:<12} G = {g:.5f}  theory {theory:.5f}  ({(g / theory - 1):+.2%})")
    print("\nFinite grids on the tanh domain [-1, 1]^2 (MSE per dimension):")
    print(format_mse_table([finite_grid_mse(*c) for c in EQUAL_COUNT_CONFIGS]))


if __name__ == "__main__":
    main()
