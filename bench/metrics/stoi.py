"""STOI and extended STOI (ESTOI) through `pystoi`.

Both run on 16 kHz input; pystoi resamples to its internal 10 kHz itself and
removes frames more than 40 dB below the loudest reference frame. When fewer
than 30 frames survive, pystoi warns and returns 1e-5; that would be a made-up
value, so it becomes an `ItemError` here.
"""
from __future__ import annotations

import warnings

import numpy as np

from bench.metrics.base import ItemError, Metric, MetricSpec, library_version, require_valid
from bench.registry import METRICS

SAMPLE_RATE = 16000
_VERSION = f"{library_version('pystoi')}/1"


def stoi_score(ref: np.ndarray, deg: np.ndarray, sample_rate: int = SAMPLE_RATE,
               *, extended: bool = False) -> float:
    """STOI (Taal et al. 2011) or ESTOI (Jensen & Taal 2016) of `deg` against `ref`.

    Args:
        ref: reference [T], float, at `sample_rate` (Hz).
        deg: degraded [T], same length; no delay compensation (STOI assumes
            time-aligned signals).
        sample_rate: rate of both signals in Hz.
        extended: ESTOI instead of STOI.

    Returns:
        Intelligibility index, about 0-1 for STOI, higher is better.

    Raises:
        ItemError: bad input, or too few non-silent frames (pystoi's 1e-5 case).
    """
    from pystoi import stoi as pystoi_stoi

    require_valid(sample_rate, ref, deg)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = float(pystoi_stoi(ref, deg, sample_rate, extended=extended))
    for w in caught:
        if "Not enough STFT frames" in str(w.message):
            raise ItemError(f"{'ESTOI' if extended else 'STOI'}: fewer than 30 non-silent "
                            "frames (needs about 0.4 s of speech after silence removal)")
    return value


def stoi(ref: np.ndarray, deg: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Classic STOI of 16 kHz signals."""
    return stoi_score(ref, deg, sample_rate)


def estoi(ref: np.ndarray, deg: np.ndarray, sample_rate: int = SAMPLE_RATE) -> float:
    """Extended STOI of 16 kHz signals."""
    return stoi_score(ref, deg, sample_rate, extended=True)


class Stoi(Metric):
    spec = MetricSpec(
        name="stoi", unit="", higher_is_better=True, needs_reference=True,
        sample_rate=SAMPLE_RATE, version=_VERSION, outputs=("stoi",),
        description="Short-time objective intelligibility (pystoi)", family="STOI")

    def compute(self, ref, deg):
        return {"stoi": stoi(ref, deg)}


class Estoi(Metric):
    spec = MetricSpec(
        name="estoi", unit="", higher_is_better=True, needs_reference=True,
        sample_rate=SAMPLE_RATE, version=_VERSION, outputs=("estoi",),
        description="Extended short-time objective intelligibility (pystoi)", family="ESTOI")

    def compute(self, ref, deg):
        return {"estoi": estoi(ref, deg)}


METRICS.add("stoi", Stoi())
METRICS.add("estoi", Estoi())
