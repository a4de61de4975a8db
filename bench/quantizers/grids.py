"""Finite 2D grids for Q2D2 and their closed-form nearest-point search.

Coordinate convention (the "scaled" plane of one Q2D2 pair): with levels
(Lx, Ly), the pair (tanh(a) * Lx/2, tanh(b) * Ly/2) lies in the open box
(-Lx/2, Lx/2) x (-Ly/2, Ly/2). Every grid is centred on the origin and has one
point per unit area or more:

- ``rectangular`` Lx x Ly: points ((i - (Lx-1)/2), (j - (Ly-1)/2)) for
  0 <= i < Lx, 0 <= j < Ly; unit spacing, so every cell is a unit square
  inside the box. Index ``i + Lx * j``. This is exactly FSQ on two dimensions.
- ``rhombic`` Lx x Ly: the rectangular grid plus its (Lx-1)(Ly-1) cell
  centres ((i + 1/2 - (Lx-1)/2), (j + 1/2 - (Ly-1)/2)). Indices: the
  rectangular points first (``i + Lx * j``), then the centres
  (``Lx*Ly + i + (Lx-1) * j``). With Lx = Ly this is a checkerboard of the
  grid with half the spacing, i.e. a square lattice rotated by 45 degrees with
  spacing 1/sqrt(2) (cell area 1/2).
- ``hexagonal`` Lx x Ly: Ly rows of Lx points of the hexagonal lattice with
  unit cell area (the same density as the rectangular grid, so equal point
  count in the same box): point spacing s = sqrt(2/sqrt(3)) ~ 1.0746, row
  spacing h = s*sqrt(3)/2 ~ 0.9306. Row j lies at y = (j - (Ly-1)/2) h; even
  rows are shifted left by s/4 and odd rows right by s/4 so that the point
  set is centred. Index ``i + Lx * j``. The rows are slightly wider
  ((Lx - 1/2) s) and the stack slightly lower ((Ly-1) h) than the box: a
  finite hexagonal grid in a square pays at its border.

Each grid is a union of "cosets", finite rectangular lattices (one for
rectangular, two for rhombic and hexagonal). The nearest point of a finite
rectangular lattice is found per axis by rounding and clamping; the nearest
point of the grid is the nearer of the cosets' answers. No distance to all
points is ever computed (`brute_force_nearest` does that, for tests).

Tie rule (shared with `brute_force_nearest`): the nearest point minimises the
squared Euclidean distance; points within `TIE_TOL` (squared units) of the
minimum count as tied and the **lowest index wins**. The tolerance makes ties
that are exact in real arithmetic (hexagonal coordinates are irrational)
resolve identically in float64.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

import torch

TIE_TOL = 1e-9
GRID_KINDS = ("rectangular", "hexagonal", "rhombic")
HEX_SPACING = math.sqrt(2.0 / math.sqrt(3.0))
HEX_ROW = HEX_SPACING * math.sqrt(3.0) / 2.0


def round_half_down_(v: torch.Tensor, spacing: float = 1.0) -> torch.Tensor:
    """Round lattice coordinates v to integers **in place**, ties going down; returns v.

    A tie is judged in the plane: k and k+1 are tied when their squared
    distances, on a lattice of `spacing`, differ by at most `TIE_TOL`.
    """
    return v.sub_(0.5 + TIE_TOL / (2.0 * spacing * spacing)).ceil_()


def snap_axis(u: torch.Tensor, origin: float, spacing: float, count: int) -> torch.Tensor:
    """Nearest lattice coordinate k in [0, count) of origin + k*spacing, as a float tensor."""
    v = u - origin
    if spacing != 1.0:
        v.div_(spacing)
    return round_half_down_(v, spacing).clamp_(0, count - 1)


@dataclass(frozen=True)
class Coset:
    """A finite rectangular lattice: points (ox + i*sx, oy + j*sy), index offset + i*a + j*b."""

    origin: tuple[float, float]
    spacing: tuple[float, float]
    counts: tuple[int, int]
    offset: int
    strides: tuple[int, int]

    @property
    def max_index(self) -> int:
        return self.offset + (self.counts[0] - 1) * self.strides[0] + (self.counts[1] - 1) * self.strides[1]

    def search(self, x: torch.Tensor, y: torch.Tensor, distance: bool = True):
        """Nearest point of this coset to (x, y): (index int64, squared distance or None).

        The distance is computed exactly as `brute_force_nearest` computes it
        from the point table, so the two agree bit for bit in float64.
        """
        kx = snap_axis(x, self.origin[0], self.spacing[0], self.counts[0])
        ky = snap_axis(y, self.origin[1], self.spacing[1], self.counts[1])
        # float index arithmetic is exact for grids far below 2^24 points
        idx = (kx * self.strides[0]).add_(ky, alpha=self.strides[1]).add_(self.offset).long()
        if not distance:
            return idx, None
        dx = kx.mul_(self.spacing[0]).add_(self.origin[0]).sub_(x).square_()  # (px - x)^2
        dy = ky.mul_(self.spacing[1]).add_(self.origin[1]).sub_(y).square_()
        return idx, dx.add_(dy)

    def table(self) -> tuple[torch.Tensor, torch.Tensor]:
        """(indices [n], points [n, 2] float64), points computed as in `search`."""
        i = torch.arange(self.counts[0], dtype=torch.float64)
        j = torch.arange(self.counts[1], dtype=torch.float64)
        ki, kj = torch.meshgrid(i, j, indexing="xy")
        ki, kj = ki.reshape(-1), kj.reshape(-1)
        px = self.origin[0] + ki * self.spacing[0]
        py = self.origin[1] + kj * self.spacing[1]
        idx = (ki * self.strides[0] + kj * self.strides[1]).long() + self.offset
        return idx, torch.stack([px, py], -1)


class Grid:
    """A finite 2D grid of one kind with levels (Lx, Ly); see the module docstring."""

    def __init__(self, kind: str, lx: int, ly: int):
        if kind not in GRID_KINDS:
            raise ValueError(f"unknown grid kind {kind!r}; allowed: {', '.join(GRID_KINDS)}")
        for name, v in (("Lx", lx), ("Ly", ly)):
            if int(v) != v or v < 2:
                raise ValueError(f"grid levels must be integers >= 2, got {name}={v!r}")
        self.kind, self.lx, self.ly = kind, int(lx), int(ly)
        self.cosets = _cosets(kind, self.lx, self.ly)
        self.n_points = sum(c.counts[0] * c.counts[1] for c in self.cosets)

    def __repr__(self) -> str:
        return f"Grid({self.kind!r}, {self.lx}, {self.ly}; {self.n_points} points)"

    @cached_property
    def points(self) -> torch.Tensor:
        """All points [N, 2] float64 in the scaled plane, row n = point of index n."""
        pts = torch.empty(self.n_points, 2, dtype=torch.float64)
        for coset in self.cosets:
            idx, p = coset.table()
            pts[idx] = p
        return pts

    def nearest(self, xy: torch.Tensor) -> torch.Tensor:
        """Closed-form nearest point index (int64, shape xy.shape[:-1]) of points xy [..., 2]."""
        if xy.shape[-1] != 2:
            raise ValueError(f"expected points [..., 2], got {tuple(xy.shape)}")
        x, y = xy[..., 0], xy[..., 1]
        first, *rest = self.cosets
        best_idx, best_d = first.search(x, y, distance=bool(rest))
        top = first.max_index
        for i, coset in enumerate(rest):
            idx, d = coset.search(x, y)
            take = d < best_d - TIE_TOL
            if coset.offset < top:  # some of its indices are below earlier ones: ties may go to it
                take |= (d <= best_d + TIE_TOL) & (idx < best_idx)
            best_idx = torch.where(take, idx, best_idx)
            if i + 1 < len(rest):
                best_d = torch.where(take, d, best_d)
            top = max(top, coset.max_index)
        return best_idx

    def index_to_point(self, idx: torch.Tensor, dtype: torch.dtype = torch.float64) -> torch.Tensor:
        """Points [..., 2] of indices [...] (raises on an index outside [0, N))."""
        idx = idx.long()
        if idx.numel() and (int(idx.min()) < 0 or int(idx.max()) >= self.n_points):
            raise ValueError(f"grid indices must lie in [0, {self.n_points})")
        return self.points.to(device=idx.device, dtype=dtype)[idx]

    @cached_property
    def min_distance(self) -> float:
        """Smallest distance between two distinct points (the lattice spacing)."""
        d = torch.cdist(self.points, self.points)
        d.fill_diagonal_(math.inf)
        return float(d.min())

    @cached_property
    def _adjacency(self) -> list[list[int]]:
        d = torch.cdist(self.points, self.points)
        d.fill_diagonal_(math.inf)
        close = (d - self.min_distance).abs() < 1e-9
        return [torch.nonzero(row).flatten().tolist() for row in close]

    def neighbours(self, idx: int) -> list[int]:
        """Indices of the points at the lattice spacing from point `idx`, ascending.

        These are the lattice's nearest neighbours inside the finite grid
        (rectangular 4, rhombic 4 diagonal, hexagonal 6, fewer at the border).
        """
        if not 0 <= idx < self.n_points:
            raise ValueError(f"grid index {idx} outside [0, {self.n_points})")
        return list(self._adjacency[idx])


def _cosets(kind: str, lx: int, ly: int) -> tuple[Coset, ...]:
    cx, cy = -(lx - 1) / 2.0, -(ly - 1) / 2.0
    rect = Coset((cx, cy), (1.0, 1.0), (lx, ly), 0, (1, lx))
    if kind == "rectangular":
        return (rect,)
    if kind == "rhombic":
        centres = Coset((cx + 0.5, cy + 0.5), (1.0, 1.0), (lx - 1, ly - 1), lx * ly, (1, lx - 1))
        return rect, centres
    s, h = HEX_SPACING, HEX_ROW
    x0, y0 = cx * s, cy * h
    even = Coset((x0 - s / 4, y0), (s, 2 * h), (lx, (ly + 1) // 2), 0, (1, 2 * lx))
    odd = Coset((x0 + s / 4, y0 + h), (s, 2 * h), (lx, ly // 2), lx, (1, 2 * lx))
    return even, odd


def point_count(kind: str, lx: int, ly: int) -> int:
    """Number of points of a grid, without building it."""
    if kind == "rhombic":
        return lx * ly + (lx - 1) * (ly - 1)
    if kind in GRID_KINDS:
        return lx * ly
    raise ValueError(f"unknown grid kind {kind!r}; allowed: {', '.join(GRID_KINDS)}")


def brute_force_nearest(points: torch.Tensor, xy: torch.Tensor, chunk: int = 1 << 22) -> torch.Tensor:
    """Reference nearest-point search over all points, same tie rule as `Grid.nearest`.

    Args:
        points: [N, 2] grid points.
        xy: [..., 2] query points.
        chunk: bound on queries x points held in memory at once.

    Returns:
        int64 indices [...].
    """
    flat = xy.reshape(-1, 2)
    pts = points.to(device=flat.device, dtype=flat.dtype)
    n = pts.shape[0]
    ar = torch.arange(n, device=flat.device)
    out = torch.empty(flat.shape[0], dtype=torch.int64, device=flat.device)
    step = max(1, chunk // n)
    for s in range(0, flat.shape[0], step):
        q = flat[s:s + step]
        d = (q[:, :1] - pts[:, 0]).square_() + (q[:, 1:] - pts[:, 1]).square_()
        m = d.min(1, keepdim=True).values
        out[s:s + step] = torch.where(d <= m + TIE_TOL, ar, n).min(1).values
    return out.reshape(xy.shape[:-1])
