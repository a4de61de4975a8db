"""Gray-like codeword orderings for scalar levels and for Q2D2's 2D grids.

A bit flip on a channel turns one codeword into another at Hamming distance 1.
If codewords that differ in one bit belong to *nearby* code values, a flip
moves the decoded latent only a little. The reverse property is what can be
built and tested: **neighbouring values get codewords that differ in few
bits**.

- Scalar levels (FSQ dimensions, and any 1D field): the reflected binary Gray
  code ``g(k) = k ^ (k >> 1)`` of the level k. Consecutive levels differ in
  exactly one bit, for any number of levels L (the codewords of a non power of
  two L are the first L codewords of the ceil(log2 L)-bit Gray sequence).
- 2D grids (Q2D2 pairs): the points are put on a *snake* (boustrophedon)
  path and point number r on the path gets codeword g(r), with
  ceil(log2 N) bits for N points (the same bits as natural binary, so the
  packing stays the same length). The snake runs along *lines* of the grid
  in which consecutive points are grid neighbours: rows (constant y) for the
  rectangular and hexagonal grids, the 45-degree diagonals (constant y - x)
  for the rhombic grid, whose neighbours are diagonal. Lines are visited in
  order of their offset, alternately forwards and backwards.

  Guarantee: consecutive points of the path differ in exactly one bit, so
  every pair of neighbours *within a line* differs in exactly one bit.
  Neighbours *across lines* are not consecutive on the path; their distance
  is measured (`neighbour_hamming`), not promised. One exact special case:
  a rectangular grid whose row length is a power of two gets exactly the
  product code g(j) . g(i) (row bits, then column bits), so there *every*
  grid neighbour differs in exactly one bit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_LINE_TOL = 1e-6


def bits_for(n: int) -> int:
    """Bits of a fixed-length natural binary word for n values: ceil(log2 n) (0 for n = 1)."""
    if int(n) != n or n < 1:
        raise ValueError(f"need a positive number of values, got {n!r}")
    return (int(n) - 1).bit_length()


def gray_encode(k: np.ndarray) -> np.ndarray:
    """Reflected binary Gray code of non-negative integers k (int64 array)."""
    k = np.asarray(k, dtype=np.int64)
    return k ^ (k >> 1)


def gray_decode(g: np.ndarray) -> np.ndarray:
    """Inverse of `gray_encode`: prefix XOR of the bits of g (int64 array)."""
    g = np.asarray(g, dtype=np.int64)
    k = g.copy()
    shift = 1
    while shift < 63:
        k ^= k >> shift
        shift *= 2
    return k


def popcount(x: np.ndarray) -> np.ndarray:
    """Number of set bits of non-negative int64 values."""
    x = np.asarray(x, dtype=np.int64)
    count = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        count += x & 1
        x = x >> 1
    return count


def snake_order(points: np.ndarray, direction: tuple[float, float]) -> np.ndarray:
    """Boustrophedon path over points grouped into lines along `direction`.

    Args:
        points: [N, 2] coordinates.
        direction: the lines' direction (need not be unit length).

    Returns:
        int64 [N]: the point index at each path position (rank -> point).
    """
    d = np.asarray(direction, dtype=np.float64)
    d = d / np.linalg.norm(d)
    normal = np.array([-d[1], d[0]])
    along = points @ d
    offset = np.round(points @ normal / _LINE_TOL).astype(np.int64)
    order: list[int] = []
    for i, key in enumerate(np.unique(offset)):
        members = np.nonzero(offset == key)[0]
        members = members[np.argsort(along[members], kind="stable")]
        order += list(members[::-1] if i % 2 else members)
    return np.asarray(order, dtype=np.int64)


# Direction of the lines whose consecutive points are grid neighbours.
SNAKE_DIRECTION = {"rectangular": (1.0, 0.0), "hexagonal": (1.0, 0.0), "rhombic": (1.0, 1.0)}


@dataclass(frozen=True)
class Ordering:
    """Codewords of one field's (or stream's) N values, and the way back.

    A received codeword c is mapped to a *rank* (its position on the
    ordering's path: its Gray decode, or c itself for natural binary); ranks
    >= N are out of range, and ranks < N name the value ``value_of_rank[rank]``.

    Attributes:
        n_values: N.
        bits: codeword length, ceil(log2 N).
        codewords: int64 [N], the codeword of value v; None for natural
            binary (codeword = value; no tables, so it scales to wide words).
        value_of_rank: int64 [N], the value at each path position (None: identity).
        gray: ranks are Gray decodes of codewords (else codeword = rank).
    """

    n_values: int
    bits: int
    codewords: np.ndarray | None = None
    value_of_rank: np.ndarray | None = None
    gray: bool = False

    @property
    def natural(self) -> bool:
        return self.codewords is None

    def encode(self, values: np.ndarray) -> np.ndarray:
        """Codewords (int64) of values in [0, N)."""
        values = np.asarray(values, dtype=np.int64)
        return values if self.codewords is None else self.codewords[values]

    def rank(self, codewords: np.ndarray) -> np.ndarray:
        """Path positions of received codewords (may be >= N: out of range)."""
        return gray_decode(codewords) if self.gray else np.asarray(codewords, dtype=np.int64)

    def value(self, ranks: np.ndarray) -> np.ndarray:
        """Values at in-range path positions."""
        return ranks if self.value_of_rank is None else self.value_of_rank[ranks]


def natural_ordering(n: int) -> Ordering:
    """Natural binary: value v has codeword v."""
    return Ordering(int(n), bits_for(n))


def path_gray_ordering(path: np.ndarray) -> Ordering:
    """Gray code along a path: the value at path position r gets codeword g(r)."""
    path = np.asarray(path, dtype=np.int64)
    n = path.shape[0]
    if not np.array_equal(np.sort(path), np.arange(n)):
        raise ValueError("path must visit every value exactly once")
    codewords = np.empty(n, dtype=np.int64)
    codewords[path] = gray_encode(np.arange(n))
    return Ordering(n, bits_for(n), codewords, path, gray=True)


def level_gray_ordering(levels: int) -> Ordering:
    """Reflected Gray code of the levels 0..L-1 of one scalar dimension."""
    return path_gray_ordering(np.arange(levels))


def grid_gray_ordering(kind: str, lx: int, ly: int) -> Ordering:
    """Snake-path Gray ordering of a Q2D2 grid's points (see the module docstring)."""
    from bench.quantizers.grids import Grid
    grid = Grid(kind, lx, ly)
    return path_gray_ordering(snake_order(grid.points.numpy(), SNAKE_DIRECTION[kind]))


def grid_edges(kind: str, lx: int, ly: int) -> np.ndarray:
    """Unordered neighbour pairs [E, 2] (a < b) of a Q2D2 grid, from `Grid.neighbours`."""
    from bench.quantizers.grids import Grid
    grid = Grid(kind, lx, ly)
    edges = [(a, b) for a in range(grid.n_points) for b in grid.neighbours(a) if a < b]
    return np.asarray(edges, dtype=np.int64).reshape(-1, 2)


@dataclass(frozen=True)
class HammingStats:
    """Hamming distances between the codewords of neighbouring values."""

    mean: float
    max: int
    frac_one: float     # fraction of neighbour pairs at exactly one bit
    n_edges: int


def neighbour_hamming(ordering: Ordering, edges: np.ndarray) -> HammingStats:
    """Hamming distance statistics of `ordering` over neighbour pairs `edges` [E, 2]."""
    cw = ordering.encode(np.arange(ordering.n_values))
    dist = popcount(cw[edges[:, 0]] ^ cw[edges[:, 1]])
    if dist.size == 0:
        return HammingStats(float("nan"), 0, float("nan"), 0)
    return HammingStats(float(dist.mean()), int(dist.max()), float(np.mean(dist == 1)), int(dist.size))


def single_flip_distance(ordering: Ordering, coords: np.ndarray, rule: str = "clamp",
                         rms: bool = False) -> float:
    """Mean (or root-mean-square) distance a single bit flip moves a value, over all values and bits.

    The reverse of `neighbour_hamming`: not "are neighbours one flip apart" but
    "where does one flip land". Out-of-range words follow `rule` ("clamp" to
    the last path position, "wrap" modulo N), as in `packing`.

    Args:
        ordering: the codewords.
        coords: [N, dims] coordinates of the values (levels: [N, 1]; grid points: [N, 2]).
        rule: out-of-range rule.
        rms: return sqrt(mean squared distance) instead of the mean distance.
    """
    n = ordering.n_values
    if ordering.bits == 0:
        return 0.0
    values = np.arange(n)
    cw = ordering.encode(values)
    flipped = cw[:, None] ^ (np.int64(1) << np.arange(ordering.bits, dtype=np.int64))[None, :]
    rank = ordering.rank(flipped)
    rank = np.minimum(rank, n - 1) if rule == "clamp" else rank % n
    landed = ordering.value(rank)
    coords = np.asarray(coords, dtype=np.float64).reshape(n, -1)
    dist = np.linalg.norm(coords[landed] - coords[values[:, None]], axis=-1)
    return float(np.sqrt(np.mean(dist ** 2))) if rms else float(dist.mean())
