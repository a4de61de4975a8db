"""Bitrate, token rate, sample rate and frame rate must not change silently.

A candidate is compared with its baseline at the same operating point. Each
rate is read from the result rows (one value per codec; rows of one codec
that disagree are an error) and compared exactly; a change is a failure with
its own message unless the candidate declares it (``--declare-change
bitrate``), in which case the report still shows it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

# declared name -> (results column, unit)
RATE_FIELDS = {"bitrate": ("bitrate", "bit/s"), "token_rate": ("token_rate", "tokens/s"),
               "sample_rate": ("codec_sample_rate", "Hz"), "frame_rate": ("frame_rate", "frames/s")}


@dataclass(frozen=True)
class RateCheck:
    """One rate of baseline and candidate (NaN when the rows do not say)."""

    field: str
    unit: str
    baseline: float
    candidate: float
    declared: bool

    @property
    def known(self) -> bool:
        """Both sides' rows state this rate (no rows at all is missing data, reported elsewhere)."""
        return not (math.isnan(self.baseline) or math.isnan(self.candidate))

    @property
    def changed(self) -> bool:
        return self.known and self.baseline != self.candidate

    @property
    def failed(self) -> bool:
        return self.changed and not self.declared

    def message(self) -> str:
        """The failure (or declared-change) line for reports."""
        b, c = f"{self.baseline:g} {self.unit}", f"{self.candidate:g} {self.unit}"
        if not self.known:
            return f"{self.field}: unknown (baseline {b}, candidate {c}; no rows state it)"
        if not self.changed:
            return f"{self.field}: {b} on both sides"
        if self.declared:
            return f"{self.field} changed (declared): baseline {b}, candidate {c}"
        return (f"{self.field} changed: baseline {b}, candidate {c}; a candidate must keep the "
                f"baseline's {self.field} unless it declares the change (--declare-change {self.field})")


def codec_rates(rows: pd.DataFrame, side: str) -> dict[str, float]:
    """Each rate of the single codec in `rows` (NaN when no row carries it).

    Raises:
        ValueError: the rows disagree about a rate (a file mixing codecs or runs).
    """
    out = {}
    for name, (column, unit) in RATE_FIELDS.items():
        values = sorted({float(v) for v in rows[column] if not pd.isna(v) and float(v) != 0.0}) \
            if column in rows else []
        if len(values) > 1:
            raise ValueError(f"{side} rows disagree about {name}: {values} {unit}")
        out[name] = values[0] if values else math.nan
    return out


def check_rates(baseline: dict[str, float], candidate: dict[str, float],
                declared: tuple[str, ...] = ()) -> list[RateCheck]:
    """Compare the rates of both sides exactly.

    Args:
        baseline / candidate: `codec_rates` of each side.
        declared: rate names the candidate declares as changed.

    Raises:
        ValueError: a declared name that is not a rate.
    """
    unknown = sorted(set(declared) - set(RATE_FIELDS))
    if unknown:
        raise ValueError(f"--declare-change: unknown rate(s) {unknown}; choose from {sorted(RATE_FIELDS)}")
    return [RateCheck(name, unit, baseline[name], candidate[name], name in declared)
            for name, (_, unit) in RATE_FIELDS.items()]
