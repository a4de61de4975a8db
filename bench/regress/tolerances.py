"""Per-metric tolerances and bootstrap settings of the regression check (YAML).

A tolerance is the largest worsening of a metric's mean that still counts as
"unchanged", in the metric's unit and in its *better* direction, so it is
never positive: ``pesq_wb: -0.05`` allows PESQ to drop by 0.05;
``mel_distance: -0.02`` allows the (lower-is-better) mel distance to *rise*
by 0.02. The default file is `DEFAULT_PATH` (next to this module)::

    resamples: 10000      # paired-bootstrap resamples
    confidence: 0.95      # two-sided CI coverage
    seed: 0               # bootstrap generator seed
    min_pairs: 3          # fewer paired items -> "inconclusive"
    tolerances:
      pesq_wb: -0.05
      stoi: -0.005

A metric that is compared but has no tolerance is an error naming the file,
never a silent default.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

from bench.config import ConfigError, from_dict, load_yaml
from bench.paths import portable

DEFAULT_PATH = Path(__file__).resolve().parent / "tolerances.yaml"


@dataclass(frozen=True)
class RegressConfig:
    """Validated contents of a tolerance file.

    Attributes:
        tolerances: metric output name -> allowed worsening (<= 0, metric unit,
            better direction).
        resamples: paired-bootstrap resamples.
        confidence: two-sided coverage of the interval, in (0, 1).
        seed: bootstrap seed (recorded in every report).
        min_pairs: fewer paired items than this gives "inconclusive".
        source_file: where the file was read from ('' when built in code).
    """

    tolerances: dict = field(default_factory=dict)
    resamples: int = 10_000
    confidence: float = 0.95
    seed: int = 0
    min_pairs: int = 3
    source_file: str = ""

    def __post_init__(self) -> None:
        where = self.source_file or "tolerances"
        for name, value in self.tolerances.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                raise ConfigError(f"{where}: tolerances.{name}: expected a finite number, got {value!r}")
            if value > 0:
                raise ConfigError(f"{where}: tolerances.{name}: must be <= 0 (the allowed worsening in the "
                                  f"metric's better direction), got {value}")
        if self.resamples < 1:
            raise ConfigError(f"{where}: resamples must be >= 1, got {self.resamples}")
        if not 0.0 < self.confidence < 1.0:
            raise ConfigError(f"{where}: confidence must be in (0, 1), got {self.confidence}")
        if self.min_pairs < 1:
            raise ConfigError(f"{where}: min_pairs must be >= 1, got {self.min_pairs}")

    def tolerance(self, metric: str) -> float:
        """The tolerance of one metric output; `ConfigError` naming the file when absent."""
        if metric not in self.tolerances:
            raise ConfigError(f"{self.source_file or 'tolerances'}: no tolerance for metric {metric!r}; "
                              f"add e.g. `{metric}: -0.05` under `tolerances:` (known: {sorted(self.tolerances)})")
        return float(self.tolerances[metric])

    def with_overrides(self, resamples: int | None = None, seed: int | None = None) -> "RegressConfig":
        """A copy with CLI overrides applied (None keeps the file's value)."""
        return replace(self, resamples=self.resamples if resamples is None else resamples,
                       seed=self.seed if seed is None else seed)


def load_tolerances(path: str | Path | None = None) -> RegressConfig:
    """Read a tolerance file (default: `DEFAULT_PATH`); unknown keys are errors."""
    path = Path(path) if path else DEFAULT_PATH
    raw = load_yaml(path)
    if isinstance(raw, dict):
        raw = {**raw, "source_file": str(portable(path))}
    return from_dict(RegressConfig, raw, str(path))
