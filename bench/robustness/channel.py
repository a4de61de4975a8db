"""A binary symmetric channel with seeded, nested flips.

Each bit is flipped independently with probability p. The flips are drawn as
``u < p`` from one seeded uniform draw per bit, so for a fixed seed the flips
at a smaller p are a subset of the flips at a larger p ("common random
numbers"): curves over p are smooth per seed, and p = 0 is exactly lossless.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

DEFAULT_PS = (0.0, 0.001, 0.01, 0.05, 0.1)


def channel_seed(*parts: object) -> int:
    """A 64-bit seed from any parts (seed, codec, packing, item), stable across runs and machines."""
    blob = "\x1f".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.sha256(blob).digest()[:8], "little")


@dataclass(frozen=True)
class ChannelOutput:
    """Bits after the channel, and how many were flipped."""

    bits: np.ndarray
    n_flipped: int
    n_bits: int

    @property
    def flip_rate(self) -> float:
        return self.n_flipped / self.n_bits if self.n_bits else 0.0


def binary_symmetric_channel(bits: np.ndarray, p: float, seed: int) -> ChannelOutput:
    """Flip each bit of `bits` (uint8 0/1 array, any shape) with probability p.

    Args:
        bits: 0/1 array.
        p: flip probability in [0, 0.5].
        seed: generator seed (see `channel_seed`); the same seed and shape give
            the same uniforms for every p.

    Returns:
        `ChannelOutput` with bits of the same shape and dtype.
    """
    if not 0.0 <= p <= 0.5:
        raise ValueError(f"flip probability must be in [0, 0.5], got {p!r}")
    bits = np.asarray(bits)
    if bits.size and (bits.min() < 0 or bits.max() > 1):
        raise ValueError("bits must be 0 or 1")
    if p == 0.0:
        return ChannelOutput(bits.copy(), 0, int(bits.size))
    u = np.random.default_rng(seed).random(bits.shape)
    flips = u < p
    out = np.where(flips, 1 - bits, bits).astype(bits.dtype)
    return ChannelOutput(out, int(flips.sum()), int(bits.size))
