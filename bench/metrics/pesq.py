"""PESQ (ITU-T P.862.2 wide-band, P.862 narrow-band) through the `pesq` package.

Wide-band runs at 16 kHz, narrow-band at 8 kHz (the runner resamples). PESQ
aligns the signals itself, so no delay compensation happens here. The `pesq`
package divides both signals by their joint peak before scoring, so an overall
gain does not change the score.
"""
from __future__ import annotations

import numpy as np

from bench.metrics.base import ItemError, Metric, MetricSpec, library_version, require_valid
from bench.registry import METRICS

_VERSION = f"{library_version('pesq')}/1"


def pesq_score(ref: np.ndarray, deg: np.ndarray, sample_rate: int, mode: str) -> float:
    """PESQ MOS-LQO of `deg` against `ref`.

    Args:
        ref: reference [T], float, at `sample_rate`.
        deg: degraded [T], same length.
        sample_rate: 16000 for ``mode="wb"``, 8000 or 16000 for ``"nb"`` (Hz).
        mode: ``"wb"`` (P.862.2, MOS-LQO about 1.04-4.64) or ``"nb"``
            (P.862 mapped, about 1.02-4.55).

    Raises:
        ItemError: silent, too short, NaN/Inf input, or the PESQ library
            refusing the item (for example no utterance detected).
    """
    import pesq as pesq_lib

    require_valid(sample_rate, ref, deg)
    try:
        return float(pesq_lib.pesq(sample_rate, ref, deg, mode))
    except pesq_lib.PesqError as err:
        raise ItemError(f"PESQ ({mode}) refused the item: {type(err).__name__}: {err}") from None


def pesq_wb(ref: np.ndarray, deg: np.ndarray) -> float:
    """Wide-band PESQ (P.862.2) of 16 kHz signals, MOS-LQO."""
    return pesq_score(ref, deg, 16000, "wb")


def pesq_nb(ref: np.ndarray, deg: np.ndarray) -> float:
    """Narrow-band PESQ (P.862 + P.862.1 mapping) of 8 kHz signals, MOS-LQO."""
    return pesq_score(ref, deg, 8000, "nb")


class PesqWB(Metric):
    spec = MetricSpec(
        name="pesq_wb", unit="MOS-LQO", higher_is_better=True, needs_reference=True,
        sample_rate=16000, version=_VERSION, outputs=("pesq_wb",),
        description="Wide-band PESQ, ITU-T P.862.2, at 16 kHz", family="PESQ P.862.2")

    def compute(self, ref, deg):
        return {"pesq_wb": pesq_wb(ref, deg)}


class PesqNB(Metric):
    spec = MetricSpec(
        name="pesq_nb", unit="MOS-LQO", higher_is_better=True, needs_reference=True,
        sample_rate=8000, version=_VERSION, outputs=("pesq_nb",),
        description="Narrow-band PESQ, ITU-T P.862 with P.862.1 mapping, at 8 kHz",
        family="PESQ P.862.1")

    def compute(self, ref, deg):
        return {"pesq_nb": pesq_nb(ref, deg)}


METRICS.add("pesq_wb", PesqWB())
METRICS.add("pesq_nb", PesqNB())
