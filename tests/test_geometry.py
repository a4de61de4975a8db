"""Geometry facts of the Q2D2 grids, measured (not claimed).

Asserted: the infinite-lattice normalized second moments, the rotated-checkerboard
identity of rhombic grids, the exact distortion of rectangular grids. Measured
and printed (run with -s): finite grids of equal point count on the tanh domain.
"""
from __future__ import annotations

import pytest
import torch

from bench.quantizers.geometry import (EQUAL_COUNT_CONFIGS, NSM_HEXAGONAL, NSM_SQUARE, cell_area,
                                       finite_grid_mse, format_mse_table, normalized_second_moment)
from bench.quantizers.grids import Grid, brute_force_nearest


@pytest.mark.parametrize("kind,theory", [("rectangular", NSM_SQUARE), ("hexagonal", NSM_HEXAGONAL),
                                         ("rhombic", NSM_SQUARE)])
def test_normalized_second_moment_within_one_percent(kind, theory):
    g = normalized_second_moment(kind, n_samples=100_000, seed=1)
    assert g == pytest.approx(theory, rel=0.01)


def test_theory_values():
    assert NSM_SQUARE == pytest.approx(0.0833, abs=5e-5)
    assert NSM_HEXAGONAL == pytest.approx(0.0802, abs=5e-5)
    assert cell_area("rectangular") == 1.0
    assert cell_area("hexagonal") == pytest.approx(1.0)      # same density as the square grid
    assert cell_area("rhombic") == 0.5                       # twice the density


@pytest.mark.parametrize("L", [2, 5, 9])
def test_rhombic_is_rotated_checkerboard_of_finer_square_grid(L):
    rh = Grid("rhombic", L, L)
    fine = Grid("rectangular", 2 * L - 1, 2 * L - 1)         # half the spacing, same centre
    doubled = 2 * rh.points + (L - 1)                        # integer coordinates (a, b)
    assert torch.equal(doubled, doubled.round())
    chequer = {(a, b) for a in range(2 * L - 1) for b in range(2 * L - 1) if (a + b) % 2 == 0}
    assert {tuple(map(int, p)) for p in doubled.tolist()} == chequer
    fine_pts = fine.points / 2
    on_chequer = ((2 * fine_pts + (L - 1)).round().sum(1) % 2 == 0)
    assert rh.n_points == int(on_chequer.sum()) == L * L + (L - 1) ** 2
    # rotating by 45 degrees and scaling by sqrt(2) maps the points onto the integer square lattice
    rotated = torch.stack([rh.points[:, 0] + rh.points[:, 1], rh.points[:, 0] - rh.points[:, 1]], 1)
    shifted = rotated - rotated[0]
    assert torch.equal(shifted, shifted.round())
    assert rh.min_distance == pytest.approx(2 ** -0.5)
    # so its nearest-point map is the nearest chequer point of the finer grid
    xy = (torch.rand(5000, 2, generator=torch.Generator().manual_seed(L), dtype=torch.float64) - 0.5) * 2 * L
    sub = fine_pts[on_chequer]
    assert torch.equal(rh.points[rh.nearest(xy)], sub[brute_force_nearest(sub, xy)])


@pytest.mark.parametrize("L", [4, 7, 12])
def test_rectangular_distortion_is_exact_uniform_cell(L):
    """Unit cells tile the tanh box exactly, so MSE per dimension = (2/L)^2 / 12 on uniform input."""
    r = finite_grid_mse("rectangular", L, L, n_samples=60_000, seed=L)
    assert r.mse_uniform == pytest.approx((2 / L) ** 2 / 12, rel=0.02)


def test_finite_grids_at_equal_point_count_measured_and_printed():
    rows = [finite_grid_mse(*c, n_samples=40_000, seed=3) for c in EQUAL_COUNT_CONFIGS]
    print("\n" + format_mse_table(rows))
    by = {(r.kind, r.lx, r.ly): r for r in rows}
    assert by[("rectangular", 12, 12)].n_points == by[("hexagonal", 12, 12)].n_points == 144
    assert by[("rhombic", 9, 9)].n_points == 145
    # what must hold: more points of the same kind never cost distortion
    for kind, small, large in (("rectangular", 9, 12), ("hexagonal", 9, 12), ("rhombic", 7, 9)):
        for field in ("mse_uniform", "mse_tanh_gauss"):
            assert getattr(by[(kind, large, large)], field) < getattr(by[(kind, small, small)], field)
    # and a hexagonal grid in a square does pay at its border: its finite distortion exceeds
    # what its interior cells alone would give (G * cell area, in tanh units)
    hexa = by[("hexagonal", 12, 12)]
    interior = NSM_HEXAGONAL * cell_area("hexagonal") * (2 / 12) ** 2
    print(f"hexagonal 12x12: measured {hexa.mse_uniform:.3e}, interior-cell prediction {interior:.3e}")
    assert hexa.mse_uniform > interior
