"""Audio I/O and the explicit signal steps the harness applies.

All reading goes through soundfile (WAV, FLAC, OGG); down-mixing and
resampling are explicit functions that return a human-readable description of
what they did, and the runner stores those descriptions in the result rows.
Nothing here trims, pads or resamples silently.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

RESAMPLER = f"soxr-{soxr.__version__} HQ"


class AudioError(ValueError):
    """A file cannot be used as audio; the message names the file and the reason."""


@dataclass(frozen=True)
class Audio:
    """Decoded file contents.

    Attributes:
        samples: float64 array [C, T] in [-1, 1] (float files may exceed it).
        sample_rate: Hz.
        path: where it came from.
        subtype: soundfile subtype of the file (PCM_16, FLOAT, ...).
    """

    samples: np.ndarray
    sample_rate: int
    path: str
    subtype: str

    @property
    def channels(self) -> int:
        return int(self.samples.shape[0])

    @property
    def duration(self) -> float:
        """Seconds."""
        return self.samples.shape[1] / self.sample_rate


def read_audio(path: str | Path) -> Audio:
    """Read an audio file with soundfile.

    Raises:
        AudioError: missing, empty, truncated/corrupt or non-audio files, with
            the file name and soundfile's reason.
    """
    path = Path(path)
    if not path.is_file():
        raise AudioError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise AudioError(f"{path}: empty file (0 bytes)")
    try:
        data, sr = sf.read(str(path), dtype="float64", always_2d=True)
        subtype = sf.info(str(path)).subtype
    except (sf.LibsndfileError, RuntimeError, TypeError, ValueError) as exc:
        raise AudioError(f"{path}: cannot decode audio ({exc})") from exc
    if data.shape[0] == 0:
        raise AudioError(f"{path}: no samples")
    return Audio(np.ascontiguousarray(data.T), int(sr), str(path), subtype)


def to_mono(samples: np.ndarray) -> tuple[np.ndarray, str | None]:
    """Down-mix [C, T] to [T] by averaging channels.

    Returns:
        (mono signal, description of the down-mix or None if already mono).
    """
    if samples.ndim != 2:
        raise ValueError(f"expected [C, T], got shape {samples.shape}")
    if samples.shape[0] == 1:
        return samples[0], None
    return samples.mean(axis=0), f"downmix {samples.shape[0]}ch->mono (mean)"


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> tuple[np.ndarray, str | None]:
    """Resample a 1-D signal with soxr (high quality).

    Returns:
        (signal at sr_out, description or None when the rates are equal).
    """
    if sr_in == sr_out:
        return x, None
    y = soxr.resample(np.asarray(x, dtype=np.float64), sr_in, sr_out, quality="HQ")
    return y, f"resample {sr_in}->{sr_out} Hz ({RESAMPLER})"


def load_mono(path: str | Path, sample_rate: int) -> tuple[np.ndarray, list[str]]:
    """Read, down-mix and resample a file to `sample_rate`.

    Returns:
        (float64 [T] signal, list of the steps applied).
    """
    audio = read_audio(path)
    mono, step1 = to_mono(audio.samples)
    out, step2 = resample(mono, audio.sample_rate, sample_rate)
    return out, [s for s in (step1, step2) if s]


def match_length(x: np.ndarray, n: int) -> tuple[np.ndarray, str | None]:
    """Trim or zero-pad `x` to exactly `n` samples.

    Returns:
        (signal of length n, description or None when nothing changed).
    """
    m = len(x)
    if m == n:
        return x, None
    if m > n:
        return x[:n], f"trim {m - n} samples ({m}->{n})"
    return np.concatenate([x, np.zeros(n - m, dtype=x.dtype)]), f"zero-pad {n - m} samples ({m}->{n})"


def write_audio(path: str | Path, x: np.ndarray, sample_rate: int, subtype: str = "PCM_16") -> None:
    """Write a mono signal; values are clipped to [-1, 1] only by the PCM encoder."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(x, dtype=np.float64), sample_rate, subtype=subtype)
