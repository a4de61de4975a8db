"""Length and delay alignment between a codec's input and its decoded output.

Codecs pad their input to whole frames, some decoders return a few samples too
many or too few, and a decoder may lag its input. The harness compares input
and output sample by sample, so every adapter returns exactly the expected
number of samples, and says how it got there:

- `pad_to_multiple` right-pads the input with zeros to whole frames;
- `fit_length` trims the decoded tail or zero-fills a short one and returns a
  `LengthFix` saying how many samples it trimmed or filled;
- `AlignmentTally` adds those fixes up per codec for provenance;
- `estimate_lag` measures a delay by cross-correlation, to check an adapter's
  alignment on real audio.

All functions are pure (the tally is the one small mutable record).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F


def frames_for(n_samples: int, hop: int) -> int:
    """Frames a codec emits for `n_samples` when it pads to whole hops: ceil(n / hop)."""
    if n_samples < 0 or hop < 1:
        raise ValueError(f"need n_samples >= 0 and hop >= 1, got {n_samples}, {hop}")
    return -(-n_samples // hop)


def output_length(n_samples: int, sample_rate: int, output_sample_rate: int) -> int:
    """Decoded length in samples for `n_samples` of input: round(n x out_rate / in_rate)."""
    if sample_rate <= 0 or output_sample_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {sample_rate}, {output_sample_rate}")
    return int(round(n_samples * output_sample_rate / sample_rate))


def pad_to_multiple(wav: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int]:
    """Right-pad the last axis with zeros to a multiple of `multiple` samples.

    Returns:
        (padded signal, number of zeros appended).
    """
    n_pad = frames_for(wav.shape[-1], multiple) * multiple - wav.shape[-1]
    return (F.pad(wav, (0, n_pad)) if n_pad else wav), n_pad


@dataclass(frozen=True)
class LengthFix:
    """What `fit_length` did to one decoded batch.

    Attributes:
        decoded: length the decoder returned (samples).
        target: length returned to the caller (samples).
    """

    decoded: int
    target: int

    @property
    def trimmed(self) -> int:
        """Samples removed from the end (decoder output of padding frames)."""
        return max(0, self.decoded - self.target)

    @property
    def zero_filled(self) -> int:
        """Zeros appended at the end because the decoder returned too few samples."""
        return max(0, self.target - self.decoded)


def fit_length(wav: torch.Tensor, target: int) -> tuple[torch.Tensor, LengthFix]:
    """Trim or zero-fill the end of the last axis to exactly `target` samples.

    The start is never moved: call this after any delay compensation.
    """
    if target < 0:
        raise ValueError(f"target length must be >= 0, got {target}")
    fix = LengthFix(int(wav.shape[-1]), int(target))
    if fix.zero_filled:
        wav = F.pad(wav, (0, fix.zero_filled))
    return wav[..., :target], fix


@dataclass
class AlignmentTally:
    """Running totals of the length fixes one codec applied (for provenance)."""

    batches: int = 0
    trimmed_samples: int = 0
    zero_filled_samples: int = 0
    zero_filled_batches: int = 0

    def add(self, fix: LengthFix) -> None:
        self.batches += 1
        self.trimmed_samples += fix.trimmed
        self.zero_filled_samples += fix.zero_filled
        self.zero_filled_batches += int(fix.zero_filled > 0)

    def as_dict(self) -> dict[str, int]:
        return {"batches": self.batches, "trimmed_samples": self.trimmed_samples,
                "zero_filled_samples": self.zero_filled_samples,
                "zero_filled_batches": self.zero_filled_batches}


def estimate_lag(reference: torch.Tensor, decoded: torch.Tensor, max_lag: int) -> int:
    """Delay of `decoded` relative to `reference`, by cross-correlation.

    Args:
        reference: 1-D signal.
        decoded: 1-D signal at the same sample rate.
        max_lag: largest delay searched, in samples, both directions.

    Returns:
        Lag in samples: positive when `decoded` is late (decoded[n + lag]
        matches reference[n]), negative when it is early.
    """
    if reference.dim() != 1 or decoded.dim() != 1:
        raise ValueError("estimate_lag takes 1-D signals")
    n = min(reference.numel(), decoded.numel())
    if n <= 2 * max_lag:
        raise ValueError(f"signals of {n} samples are too short for max_lag={max_lag}")
    ref = reference[:n].double()
    dec = decoded[:n].double()
    size = 1 << math.ceil(math.log2(2 * n))
    spec = torch.fft.rfft(dec, size) * torch.fft.rfft(ref, size).conj()
    xcorr = torch.fft.irfft(spec, size)            # xcorr[k] = sum_n dec[n + k] ref[n]
    lags = torch.cat([xcorr[-max_lag:], xcorr[:max_lag + 1]])
    return int(torch.argmax(lags)) - max_lag
