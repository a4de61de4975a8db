"""What every metric is: a `MetricSpec`, the `Metric` wrapper and input checks.

Each metric exists twice (torchmetrics style): a pure function on numpy arrays
(``pesq_wb(ref, deg) -> float``) and a thin `Metric` subclass that carries the
metadata, loads heavy state once per worker and returns named values. The
runner resamples audio to ``spec.sample_rate``, aligns lengths, calls
`check_signal` on both signals and then the metric.

Items a metric cannot score raise `ItemError` (row ``status=invalid`` with the
message as reason); a missing checkpoint raises
`bench.codec.WeightsUnavailable` from `Metric.load` (rows
``status=unavailable``). Nothing is clipped, padded or substituted here.
"""
from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

MIN_DURATION_S = 0.25          # shorter signals are rejected (PESQ needs ~0.25 s of speech)
SILENCE_PEAK_DBFS = -80.0      # peak below this (|x| < 1e-4) counts as silence
CLIP_LEVEL = 0.999             # |x| at or above this counts as a clipped sample
CLIP_FRACTION_WARN = 0.001     # warn when more than 0.1 % of samples are clipped
DC_OFFSET_WARN = 0.01          # warn when |mean(x)| exceeds this (-40 dBFS)


class ItemError(Exception):
    """This item cannot be scored by this metric; the message is the reason.

    The runner writes the row with ``status=invalid`` and the message as its
    reason (silence, too short, NaN or Inf samples, a library refusing input).
    """


@dataclass(frozen=True)
class MetricSpec:
    """Metadata of one metric, declared once.

    Attributes:
        name: registry name, e.g. ``"pesq_wb"``.
        unit: unit of the values (``"MOS-LQO"``, ``"dB"``, ``""``).
        higher_is_better: direction of the values.
        needs_reference: whether the metric compares against the clean input.
        sample_rate: rate (Hz) the metric runs at; the runner resamples the
            reference and decoded audio to it (soxr HQ) and records that.
            None means any rate.
        version: bump to invalidate cached scores; includes the library
            version, e.g. ``"pesq-0.0.4/1"``.
        outputs: names of the values `Metric.__call__` returns.
        description: one line for reports.
        family: which model or standard the values come from, for the
            report's "which MOS" column (``"UTMOS22-strong"``, ``"DNSMOS P.835"``).
    """

    name: str
    unit: str
    higher_is_better: bool
    needs_reference: bool
    sample_rate: int | None
    version: str
    outputs: tuple[str, ...]
    description: str = ""
    family: str = ""


class Metric:
    """Thin stateful wrapper around a pure metric function.

    Subclasses set the class attribute `spec`, implement `compute` and, when
    they hold models, `load` and `provenance`. One instance per name lives in
    `bench.registry.METRICS`; each worker process calls `load` once before its
    first item.
    """

    spec: ClassVar[MetricSpec]

    def load(self) -> None:
        """Heavy setup (models, sessions); may raise `WeightsUnavailable`."""

    def provenance(self) -> dict:
        """What produced the values: library versions, weights path and sha256."""
        return {"metric": self.spec.name, "version": self.spec.version}

    def compute(self, ref: np.ndarray | None, deg: np.ndarray) -> dict[str, float]:
        raise NotImplementedError

    def __call__(self, ref: np.ndarray | None, deg: np.ndarray) -> dict[str, float]:
        """Score one item.

        Args:
            ref: reference, float64 [T] at ``spec.sample_rate``; None for
                no-reference metrics.
            deg: decoded audio, float64 [T] at ``spec.sample_rate``, same
                length as `ref`.

        Returns:
            One float per name in ``spec.outputs``.

        Raises:
            ItemError: the item cannot be scored (reason in the message).
            ValueError: the caller broke the contract (shapes, missing ref).
        """
        if self.spec.needs_reference:
            if ref is None:
                raise ValueError(f"metric {self.spec.name} needs a reference signal")
            if np.shape(ref) != np.shape(deg):
                raise ValueError(f"metric {self.spec.name}: reference shape {np.shape(ref)} "
                                 f"!= degraded shape {np.shape(deg)}; the runner aligns lengths")
        values = self.compute(ref, deg)
        if tuple(values) != self.spec.outputs:
            raise RuntimeError(f"metric {self.spec.name} returned {tuple(values)}, "
                               f"declared {self.spec.outputs}")
        return {k: float(v) for k, v in values.items()}


def library_version(dist: str) -> str:
    """``"<dist>-<installed version>"`` without importing the package."""
    try:
        return f"{dist}-{importlib.metadata.version(dist)}"
    except importlib.metadata.PackageNotFoundError:
        return f"{dist}-missing"


def check_signal(x: np.ndarray, sample_rate: int, *, what: str = "reference") -> list[str]:
    """Reject signals no metric can score; return warnings for doubtful ones.

    Args:
        x: mono signal [T], float, nominal full scale 1.0.
        sample_rate: rate of `x` in Hz (for the duration check).
        what: name used in messages ("reference", "degraded").

    Returns:
        Warnings for signals that are scored but doubtful: clipping (more than
        0.1 % of samples at |x| >= 0.999), samples beyond full scale, DC offset
        above 0.01. The runner records them with ``status=warn``.

    Raises:
        ItemError: NaN or Inf samples, shorter than 0.25 s, or silent (peak
            below -80 dBFS).
        ValueError: `x` is not one-dimensional.
    """
    x = np.asarray(x)
    if x.ndim != 1:
        raise ValueError(f"{what} must be a mono 1-D signal, got shape {x.shape}")
    n_nan, n_inf = int(np.isnan(x).sum()), int(np.isinf(x).sum())
    if n_nan or n_inf:
        raise ItemError(f"{what} has {n_nan} NaN and {n_inf} Inf samples")
    duration = x.size / sample_rate
    if duration < MIN_DURATION_S:
        raise ItemError(f"{what} too short: {duration:.3f} s < {MIN_DURATION_S} s")
    peak = float(np.max(np.abs(x)))
    if peak < 10 ** (SILENCE_PEAK_DBFS / 20):
        level = f"{20 * np.log10(peak):.1f} dBFS" if peak > 0 else "digital silence"
        raise ItemError(f"{what} is silent (peak {level} < {SILENCE_PEAK_DBFS:g} dBFS)")
    warnings = []
    clipped = float(np.mean(np.abs(x) >= CLIP_LEVEL))
    if clipped > CLIP_FRACTION_WARN:
        warnings.append(f"{what} clipped: {100 * clipped:.1f}% samples at |x|>={CLIP_LEVEL}")
    if peak > 1.0:
        warnings.append(f"{what} exceeds full scale: peak |x| = {peak:.3f}")
    dc = float(np.mean(x))
    if abs(dc) > DC_OFFSET_WARN:
        warnings.append(f"{what} DC offset {dc:.3f}")
    return warnings


def require_valid(sample_rate: int, ref: np.ndarray | None, deg: np.ndarray) -> None:
    """`check_signal` on both inputs of a pure metric function, warnings dropped.

    The pure functions call this so that they raise `ItemError` rather than a
    library crash or a made-up value when used without the runner.

    Raises:
        ItemError: see `check_signal`.
        ValueError: the two signals differ in shape.
    """
    if ref is not None:
        if np.shape(ref) != np.shape(deg):
            raise ValueError(f"reference shape {np.shape(ref)} != degraded shape {np.shape(deg)}")
        check_signal(ref, sample_rate, what="reference")
    check_signal(deg, sample_rate, what="degraded")
