"""Log-mel distance: mean absolute difference of log10 mel magnitude spectra.

The single-scale form of the mel loss of DAC / audiotools
(``MelSpectrogramLoss`` with one window, ``log_weight=1, mag_weight=0,
pow=1, clamp_eps=1e-5``): Hann window of 1024 samples (64 ms at 16 kHz), hop
256, 80 Slaney mel bands from 0 Hz to Nyquist, reflect-padded centred frames.
No delay compensation: with 64 ms windows a delay of a few ms changes the
value little, but a codec with a large delay scores worse than its audio
deserves, so callers should remove a known codec delay first
(`bench.metrics.si_sdr.estimate_delay` finds one).
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import Metric, MetricSpec, library_version, require_valid
from bench.metrics.spectral import centered_spectra, mel_filterbank
from bench.registry import METRICS

SAMPLE_RATE = 16000
CLAMP = 1e-5   # floor of the mel magnitude before log10 (-100 dB re full scale)


def log_mel(x: np.ndarray, sample_rate: int, *, n_fft: int = 1024, hop: int = 256,
            n_mels: int = 80) -> np.ndarray:
    """log10 of the clamped mel magnitude spectrogram, [frames, n_mels]."""
    magnitude = centered_spectra(x, n_fft, hop, power=1.0, pad_mode="reflect")
    mel = magnitude @ mel_filterbank(sample_rate, n_fft, n_mels).T
    return np.log10(np.maximum(mel, CLAMP))


def log_mel_distance(ref: np.ndarray, deg: np.ndarray, sample_rate: int = SAMPLE_RATE, *,
                     n_fft: int = 1024, hop: int = 256, n_mels: int = 80) -> float:
    """Mean |log10 mel(ref) - log10 mel(deg)| over frames and bands.

    Args:
        ref: reference [T] at `sample_rate` (Hz).
        deg: degraded [T], same length, time-aligned.
        sample_rate: rate of both signals (Hz); bands span 0 Hz to sample_rate / 2.
        n_fft: window and FFT length (samples).
        hop: frame step (samples).
        n_mels: number of mel bands.

    Returns:
        Distance in log10 units (0 for identical signals; 1 means a factor of
        10 in mel magnitude on average). Lower is better.

    Raises:
        ItemError: bad input (see `bench.metrics.base.check_signal`).
    """
    require_valid(sample_rate, ref, deg)
    kw = dict(n_fft=n_fft, hop=hop, n_mels=n_mels)
    return float(np.mean(np.abs(log_mel(ref, sample_rate, **kw) - log_mel(deg, sample_rate, **kw))))


class MelDistance(Metric):
    spec = MetricSpec(
        name="mel_distance", unit="log10", higher_is_better=False, needs_reference=True,
        sample_rate=SAMPLE_RATE, version=f"{library_version('librosa')}/1",
        outputs=("mel_distance",),
        description="Mean |log10 mel magnitude| difference, 1024/256 Hann, 80 bands, at 16 kHz",
        family="log-mel L1")

    def compute(self, ref, deg):
        return {"mel_distance": log_mel_distance(ref, deg)}


METRICS.add("mel_distance", MelDistance())
