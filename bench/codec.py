"""The one codec API: a frozen `Codes` value and the `Codec` protocol.

Everything downstream (metrics, runner, reports, packing) talks only to this:
``encode(wav [B, 1, T]) -> Codes`` and ``decode(Codes) -> wav [B, 1, T']`` plus
metadata (sample rates, frame rate, codebook sizes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import torch

from bench import bitrate


class WeightsUnavailable(RuntimeError):
    """A codec or metric cannot run because its checkpoint is missing.

    The message must say where to put the file or which variable to set; the
    runner turns it into rows with ``status=unavailable``.
    """


@dataclass(frozen=True)
class Codes:
    """Integer codes of a batch.

    Attributes:
        indices: int64 tensor [B, K, F]: K streams, F frames.
        codebook_sizes: size of each of the K streams' codebooks.
        frame_rate: frames per second (Hz).
        field_sizes: for implicit codebooks (FSQ, Q2D2), per stream the
            mixed-radix field sizes whose product is the stream's codebook size
            (FSQ levels, Q2D2 points per pair); None for explicit codebooks.
        n_samples: input length in samples at the codec's input rate, so a
            decoder can return exactly that many samples.
    """

    indices: torch.Tensor
    codebook_sizes: tuple[int, ...]
    frame_rate: float
    field_sizes: tuple[tuple[int, ...], ...] | None = None
    n_samples: int | None = None

    def __post_init__(self) -> None:
        idx = self.indices
        if idx.dim() != 3:
            raise ValueError(f"Codes.indices must be [B, K, F], got shape {tuple(idx.shape)}")
        if idx.dtype not in (torch.int64, torch.int32, torch.int16):
            raise ValueError(f"Codes.indices must be an integer tensor, got {idx.dtype}")
        if idx.shape[1] != len(self.codebook_sizes):
            raise ValueError(
                f"Codes has {idx.shape[1]} streams but {len(self.codebook_sizes)} codebook sizes")
        object.__setattr__(self, "codebook_sizes", tuple(int(s) for s in self.codebook_sizes))
        if self.field_sizes is not None:
            fs = tuple(tuple(int(v) for v in f) for f in self.field_sizes)
            for k, (f, s) in enumerate(zip(fs, self.codebook_sizes)):
                prod = 1
                for v in f:
                    prod *= v
                if prod != s:
                    raise ValueError(f"stream {k}: field sizes {f} multiply to {prod}, not {s}")
            object.__setattr__(self, "field_sizes", fs)

    @property
    def batch_size(self) -> int:
        return int(self.indices.shape[0])

    @property
    def n_streams(self) -> int:
        return int(self.indices.shape[1])

    @property
    def n_frames(self) -> int:
        return int(self.indices.shape[2])

    def check_range(self) -> None:
        """Raise ValueError if any index lies outside its stream's codebook."""
        for k, size in enumerate(self.codebook_sizes):
            stream = self.indices[:, k]
            if stream.numel() and (int(stream.min()) < 0 or int(stream.max()) >= size):
                raise ValueError(f"stream {k}: indices outside [0, {size})")

    def select(self, b: int) -> "Codes":
        """The codes of batch item `b` as a batch of one."""
        return Codes(self.indices[b:b + 1], self.codebook_sizes, self.frame_rate,
                     self.field_sizes, self.n_samples)

    def with_indices(self, indices: torch.Tensor) -> "Codes":
        """Same metadata, other indices (for example after a noisy channel)."""
        return Codes(indices, self.codebook_sizes, self.frame_rate, self.field_sizes, self.n_samples)


@runtime_checkable
class Codec(Protocol):
    """What every codec adapter provides."""

    name: str
    sample_rate: int          # input rate (Hz)
    output_sample_rate: int   # decoded rate (Hz); differs for NeuCodec (16k in, 24k out)
    frame_rate: float         # frames per second (Hz)
    codebook_sizes: tuple[int, ...]

    def encode(self, wav: torch.Tensor) -> Codes: ...

    def decode(self, codes: Codes) -> torch.Tensor: ...


@dataclass
class CodecBase:
    """Shared metadata and accounting for adapters; subclasses implement encode/decode.

    Subclasses set `sample_rate`, `frame_rate` and `codebook_sizes` (and
    `field_sizes` for implicit codebooks) and may append human-readable notes
    about alignment or channel handling to `notes` (they go into provenance).
    """

    name: str
    sample_rate: int
    frame_rate: float
    codebook_sizes: tuple[int, ...]
    output_sample_rate: int = 0
    field_sizes: tuple[tuple[int, ...], ...] | None = None
    notes: list[str] = field(default_factory=list)
    weights_sha256: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.output_sample_rate:
            self.output_sample_rate = self.sample_rate

    @property
    def nominal_bitrate(self) -> float:
        """frame_rate x sum(log2 codebook sizes), bits/s."""
        return bitrate.nominal_bitrate(self.codebook_sizes, self.frame_rate)

    @property
    def bits_per_frame(self) -> float:
        return bitrate.nominal_bits_per_frame(self.codebook_sizes)

    @property
    def token_rate(self) -> float:
        """Tokens/s: one token per stream per frame."""
        return bitrate.token_rate(len(self.codebook_sizes), self.frame_rate)

    def make_codes(self, indices: torch.Tensor, n_samples: int | None) -> Codes:
        return Codes(indices.long(), self.codebook_sizes, self.frame_rate, self.field_sizes, n_samples)

    def describe(self) -> dict[str, Any]:
        """Metadata for listings and provenance."""
        return {
            "name": self.name,
            "sample_rate": self.sample_rate,
            "output_sample_rate": self.output_sample_rate,
            "frame_rate": self.frame_rate,
            "codebook_sizes": list(self.codebook_sizes),
            "nominal_bitrate": self.nominal_bitrate,
            "token_rate": self.token_rate,
            "notes": list(self.notes),
            "weights_sha256": dict(self.weights_sha256),
        }

    @staticmethod
    def check_wav(wav: torch.Tensor) -> None:
        if wav.dim() != 3 or wav.shape[1] != 1:
            raise ValueError(f"codecs take mono audio [B, 1, T], got shape {tuple(wav.shape)}")
