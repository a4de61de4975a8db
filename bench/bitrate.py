"""Bitrate and token-rate arithmetic, as pure functions.

Conventions (stated once, used everywhere):
- *Nominal* bits per frame is the information content of a uniformly used
  codebook: the sum over streams of log2(codebook size). It is **not** rounded
  up, so a mixed-radix codebook such as Q2D2 rhombic [9,9,7,7,7,7]
  (145 * 85 * 85 = 1,047,625 codes) is 19.9987 bits per frame, not 20 or 21.
- *Packed* bits are what a fixed-length bitstream needs: ceil(log2(prod of
  sizes)) when the fields are packed jointly as one mixed-radix integer, or the
  sum of ceil(log2(size)) when each field is packed on its own.
- Token rate counts one token per stream per frame; an implicit codebook
  (FSQ, Q2D2) is one stream, so one token per frame.
"""
from __future__ import annotations

import math
from typing import Sequence


def _check_sizes(sizes: Sequence[int]) -> None:
    if len(sizes) == 0:
        raise ValueError("need at least one codebook size")
    for s in sizes:
        if int(s) != s or s < 1:
            raise ValueError(f"codebook sizes must be positive integers, got {list(sizes)}")


def nominal_bits_per_frame(codebook_sizes: Sequence[int]) -> float:
    """Sum over streams of log2(size), in bits per frame (not rounded up)."""
    _check_sizes(codebook_sizes)
    return float(sum(math.log2(s) for s in codebook_sizes))


def nominal_bitrate(codebook_sizes: Sequence[int], frame_rate: float) -> float:
    """Nominal bitrate in bits/s: frame_rate x sum(log2 codebook sizes)."""
    if frame_rate <= 0:
        raise ValueError(f"frame_rate must be positive, got {frame_rate}")
    return frame_rate * nominal_bits_per_frame(codebook_sizes)


def token_rate(n_streams: int, frame_rate: float) -> float:
    """Tokens per second: one token per stream per frame."""
    if n_streams < 1:
        raise ValueError(f"n_streams must be >= 1, got {n_streams}")
    return n_streams * frame_rate


def packed_bits_joint(field_sizes: Sequence[int]) -> int:
    """Bits to pack the fields jointly as one mixed-radix integer: ceil(log2(prod))."""
    _check_sizes(field_sizes)
    total = math.prod(int(s) for s in field_sizes)
    return (total - 1).bit_length()  # exact integer ceil(log2(total)); 0 bits for a 1-code book


def packed_bits_per_field(field_sizes: Sequence[int]) -> int:
    """Bits to pack each field on its own: sum of ceil(log2(size))."""
    _check_sizes(field_sizes)
    return sum((int(s) - 1).bit_length() for s in field_sizes)
