"""Scale-invariant SDR after integer-delay alignment.

SI-SDR (Le Roux et al. 2019) compares waveforms sample by sample, so a codec
delay of even one sample ruins it. The delay is estimated as the lag of the
largest |cross-correlation| within +-`max_delay_s` (50 ms by default), the
signals are cut to their overlap at that lag, and SI-SDR is computed on the
zero-mean overlap. The delay is not returned as a value; call
`estimate_delay` to see it.
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import Metric, MetricSpec, require_valid
from bench.registry import METRICS

SAMPLE_RATE = 16000
MAX_DELAY_S = 0.05
EPS = float(np.finfo(np.float64).eps)


def estimate_delay(ref: np.ndarray, deg: np.ndarray, max_delay: int) -> int:
    """Integer delay d of `deg` behind `ref` (deg[n] ~ ref[n - d]), |d| <= max_delay.

    Args:
        ref: reference [T].
        deg: degraded [T'].
        max_delay: largest |lag| searched, in samples.

    Returns:
        The lag in samples maximising |sum_n deg[n + d] * ref[n]|; positive
        when `deg` lags behind `ref`. Ties go to the smallest |d|.
    """
    from scipy.signal import correlate

    corr = np.abs(correlate(deg, ref, mode="full", method="fft"))
    zero = len(ref) - 1                      # index of lag 0 in the "full" output
    lo, hi = max(0, zero - max_delay), min(len(corr), zero + max_delay + 1)
    lags = np.arange(lo, hi) - zero
    window = corr[lo:hi]
    best = np.flatnonzero(window >= window.max())
    return int(lags[best[np.argmin(np.abs(lags[best]))]])


def align(ref: np.ndarray, deg: np.ndarray, delay: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut `ref` and `deg` [T] to their overlap when `deg` lags by `delay` samples."""
    n = min(len(ref), len(deg) - delay) if delay >= 0 else min(len(ref) + delay, len(deg))
    if delay >= 0:
        return ref[:n], deg[delay:delay + n]
    return ref[-delay:-delay + n], deg[:n]


def si_sdr_aligned(ref: np.ndarray, deg: np.ndarray) -> float:
    """SI-SDR in dB of time-aligned signals of equal length (zero-mean first).

    Both energies get `EPS` added, as in torchmetrics'
    `scale_invariant_signal_distortion_ratio`, so an exact copy (a lossless
    codec) gives a large finite value (about 160 dB for speech) instead of
    +inf, and means over items stay defined.
    """
    s = ref - ref.mean()
    e = deg - deg.mean()
    target = (np.dot(e, s) + EPS) / (np.dot(s, s) + EPS) * s
    noise = e - target
    return float(10 * np.log10((np.dot(target, target) + EPS) / (np.dot(noise, noise) + EPS)))


def si_sdr(ref: np.ndarray, deg: np.ndarray, *, sample_rate: int = SAMPLE_RATE,
           max_delay_s: float = MAX_DELAY_S) -> float:
    """SI-SDR (dB) of `deg` against `ref` after removing their integer delay.

    Args:
        ref: reference [T] at `sample_rate` (Hz).
        deg: degraded [T], same length.
        sample_rate: rate of both signals (Hz), to turn `max_delay_s` into samples.
        max_delay_s: largest delay searched, seconds; 0 disables alignment.

    Raises:
        ItemError: bad input (see `bench.metrics.base.check_signal`).
    """
    require_valid(sample_rate, ref, deg)
    max_delay = int(round(max_delay_s * sample_rate))
    delay = estimate_delay(ref, deg, max_delay) if max_delay else 0
    return si_sdr_aligned(*align(ref, deg, delay))


class SiSdr(Metric):
    spec = MetricSpec(
        name="si_sdr", unit="dB", higher_is_better=True, needs_reference=True,
        sample_rate=SAMPLE_RATE, version="numpy/2", outputs=("si_sdr",),
        description="Scale-invariant SDR after integer delay alignment (+-50 ms), at 16 kHz",
        family="SI-SDR")

    def compute(self, ref, deg):
        return {"si_sdr": si_sdr(ref, deg)}


METRICS.add("si_sdr", SiSdr())
