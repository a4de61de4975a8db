"""Q2D2 grids: point counts, index <-> point round trips, closed form == brute force."""
from __future__ import annotations

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.quantizers.grids import (GRID_KINDS, HEX_ROW, HEX_SPACING, TIE_TOL, Grid,
                                    brute_force_nearest, point_count)

LEVELS = [(2, 2), (3, 3), (4, 4), (7, 7), (8, 8), (9, 9), (2, 5), (6, 3), (16, 16)]
CASES = [(k, lx, ly) for k in GRID_KINDS for lx, ly in LEVELS]


def test_exact_point_counts():
    assert Grid("rhombic", 9, 9).n_points == 145
    assert Grid("rhombic", 7, 7).n_points == 85
    assert Grid("rectangular", 9, 7).n_points == 63
    assert Grid("hexagonal", 8, 8).n_points == 64
    for kind, lx, ly in CASES:
        expected = lx * ly + ((lx - 1) * (ly - 1) if kind == "rhombic" else 0)
        assert Grid(kind, lx, ly).n_points == point_count(kind, lx, ly) == expected


@pytest.mark.parametrize("kind,lx,ly", CASES)
def test_every_point_round_trips(kind, lx, ly):
    g = Grid(kind, lx, ly)
    ids = torch.arange(g.n_points)
    assert torch.equal(g.nearest(g.points), ids)
    assert torch.equal(g.index_to_point(ids), g.points)
    assert len({tuple(p) for p in g.points.tolist()}) == g.n_points, "points must be distinct"
    # every point is also recovered from a slightly perturbed copy of itself
    jitter = (torch.rand(g.n_points, 2, generator=torch.Generator().manual_seed(0)) - 0.5) * 0.2
    assert torch.equal(g.nearest(g.points + jitter), ids)


@pytest.mark.parametrize("kind,lx,ly", CASES)
def test_closed_form_equals_brute_force_seeded(kind, lx, ly):
    gen = torch.Generator().manual_seed(lx * 100 + ly)
    g = Grid(kind, lx, ly)
    box = torch.tensor([lx / 2, ly / 2], dtype=torch.float64)
    inside = (torch.rand(4000, 2, generator=gen, dtype=torch.float64) * 2 - 1) * box
    around = (torch.rand(4000, 2, generator=gen, dtype=torch.float64) * 2 - 1) * box * 3
    far = (torch.rand(500, 2, generator=gen, dtype=torch.float64) * 2 - 1) * 100
    xy = torch.cat([inside, around, far])
    assert torch.equal(g.nearest(xy), brute_force_nearest(g.points, xy))


def test_closed_form_float32_agrees_with_float64():
    g = Grid("hexagonal", 9, 9)
    xy = (torch.rand(20000, 2, generator=torch.Generator().manual_seed(1)) * 2 - 1) * 5
    a, b = g.nearest(xy), g.nearest(xy.double())
    pts = g.points
    da = ((xy.double() - pts[a]) ** 2).sum(-1)
    db = ((xy.double() - pts[b]) ** 2).sum(-1)
    assert (da - db).abs().max() < 1e-5  # float32 may only differ on float32-level ties


def _tie_candidates(g: Grid) -> torch.Tensor:
    """Points equidistant from two or more grid points: pair midpoints and triangle circumcentres."""
    pts = g.points
    close = torch.cdist(pts, pts) <= 1.5 * g.min_distance + 1e-9
    mids = [(pts[i] + pts[j]) / 2 for i, j in torch.nonzero(torch.triu(close, 1)).tolist()]
    centres = []
    for i, j, k in itertools.combinations(range(min(g.n_points, 40)), 3):
        if close[i, j] and close[j, k] and close[i, k]:
            a, b, c = pts[i], pts[j], pts[k]
            d = 2 * (a[0] * (b[1] - c[1]) + b[0] * (c[1] - a[1]) + c[0] * (a[1] - b[1]))
            if abs(float(d)) > 1e-12:
                sa, sb, sc = (a ** 2).sum(), (b ** 2).sum(), (c ** 2).sum()
                ux = (sa * (b[1] - c[1]) + sb * (c[1] - a[1]) + sc * (a[1] - b[1])) / d
                uy = (sa * (c[0] - b[0]) + sb * (a[0] - c[0]) + sc * (b[0] - a[0])) / d
                centres.append(torch.stack([ux, uy]))
    # midpoints pushed straight out past the border keep the tie between border points
    lo, hi = pts.min(0).values, pts.max(0).values
    out = []
    for m in mids:
        for axis, far in ((0, lo[0] - 3), (0, hi[0] + 3), (1, lo[1] - 3), (1, hi[1] + 3)):
            p = m.clone()
            p[axis] = far
            out.append(p)
    return torch.stack(mids + centres + out)


@pytest.mark.parametrize("kind", GRID_KINDS)
@pytest.mark.parametrize("lx,ly", [(3, 3), (4, 5), (9, 9)])
def test_exact_ties_go_to_lowest_index(kind, lx, ly):
    g = Grid(kind, lx, ly)
    xy = _tie_candidates(g)
    d = torch.cdist(xy, g.points) ** 2
    tied = d <= d.min(1, keepdim=True).values + TIE_TOL
    multi = tied.sum(1) >= 2
    assert int(multi.sum()) >= 10, "the construction must produce real ties"
    lowest = torch.where(tied, torch.arange(g.n_points), g.n_points).min(1).values
    closed = g.nearest(xy)
    assert torch.equal(closed, brute_force_nearest(g.points, xy))
    assert torch.equal(closed[multi], lowest[multi])


def test_four_way_tie_at_rectangular_cell_corner():
    g = Grid("rectangular", 4, 4)  # points at -1.5, -0.5, 0.5, 1.5 on each axis
    xy = torch.tensor([[0.0, 0.0], [-1.0, 1.0]], dtype=torch.float64)
    # (0, 0) is equidistant from (-0.5,-0.5), (0.5,-0.5), (-0.5,0.5), (0.5,0.5): lowest is i=1, j=1
    assert g.nearest(xy).tolist() == [1 + 4 * 1, 0 + 4 * 2]


@settings(max_examples=100, deadline=None)
@given(kind=st.sampled_from(GRID_KINDS), lx=st.integers(2, 12), ly=st.integers(2, 12),
       pts=st.lists(st.tuples(st.floats(-40, 40), st.floats(-40, 40)), min_size=1, max_size=30),
       dyadic=st.lists(st.tuples(st.integers(-160, 160), st.integers(-160, 160)), max_size=30))
def test_closed_form_equals_brute_force_hypothesis(kind, lx, ly, pts, dyadic):
    g = Grid(kind, lx, ly)
    xy = torch.tensor(pts + [(a / 8, b / 8) for a, b in dyadic], dtype=torch.float64)
    assert torch.equal(g.nearest(xy), brute_force_nearest(g.points, xy))


def test_hexagonal_layout_and_density():
    g = Grid("hexagonal", 6, 4)
    rows = g.points.view(4, 6, 2)
    assert torch.allclose(rows[:, 1:, 0] - rows[:, :-1, 0], torch.tensor(HEX_SPACING, dtype=torch.float64))
    assert torch.allclose(rows[1:, :, 1] - rows[:-1, :, 1], torch.tensor(HEX_ROW, dtype=torch.float64))
    assert torch.allclose(rows[1::2, 0, 0] - rows[0::2, 0, 0], torch.tensor(HEX_SPACING / 2, dtype=torch.float64))
    assert torch.allclose(g.points.mean(0), torch.zeros(2, dtype=torch.float64), atol=1e-12)
    assert HEX_SPACING * HEX_ROW == pytest.approx(1.0)  # unit cell area, like the square grid


@pytest.mark.parametrize("kind,interior", [("rectangular", 4), ("hexagonal", 6), ("rhombic", 4)])
def test_neighbours(kind, interior):
    g = Grid(kind, 7, 7)
    centre = int(g.nearest(torch.zeros(1, 2, dtype=torch.float64)))
    assert len(g.neighbours(centre)) == interior
    for i in range(g.n_points):
        for j in g.neighbours(i):
            assert i in g.neighbours(j)
            assert float((g.points[i] - g.points[j]).norm()) == pytest.approx(g.min_distance)
    if kind == "rectangular":  # index i + 7j: left, right, down, up
        assert g.neighbours(3 + 7 * 3) == sorted([2 + 21, 4 + 21, 3 + 14, 3 + 28])
    if kind == "rhombic":  # a lattice point's neighbours are the four cell centres around it
        assert all(j >= 49 for j in g.neighbours(centre))
    with pytest.raises(ValueError):
        g.neighbours(g.n_points)


def test_bad_grid_arguments():
    with pytest.raises(ValueError, match="unknown grid kind 'hex'"):
        Grid("hex", 3, 3)
    with pytest.raises(ValueError, match="levels must be integers >= 2"):
        Grid("rectangular", 1, 3)
    with pytest.raises(ValueError, match=r"\[0, 9\)"):
        Grid("rectangular", 3, 3).index_to_point(torch.tensor([9]))
