"""How reports label, orient and format each metric output.

The direction (higher or lower is better) decides arrows and which value is
bold; the label says which MOS a column is ("UTMOS (UTMOS22 strong)",
"DNSMOS OVRL (P.835)") because a bare "MOS" is not comparable across papers.
The built-in table covers the metrics this harness computes; callers override
or extend it with a plain ``{name: {"higher_is_better", "unit", "label", ...}}``
mapping, e.g. one built from `bench.registry.METRICS` by `from_metric_specs`.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Iterable, Mapping


@dataclass(frozen=True)
class MetricInfo:
    """Presentation metadata of one metric output.

    Attributes:
        name: output name as in the results' `metric` column.
        label: column header without unit or arrow.
        unit: unit shown in the header ('' for none).
        higher_is_better: direction; None for descriptive values (no arrow,
            never bold).
        decimals: digits after the decimal point of quality metrics in tables
            (token statistics are shown with 3 significant digits).
    """

    name: str
    label: str
    unit: str = ""
    higher_is_better: bool | None = None
    decimals: int = 2


_DEFAULTS = (
    MetricInfo("utmos", "UTMOS (UTMOS22 strong)", "MOS", True, 2),
    MetricInfo("dnsmos_ovrl", "DNSMOS OVRL (P.835)", "MOS", True, 2),
    MetricInfo("dnsmos_sig", "DNSMOS SIG (P.835)", "MOS", True, 2),
    MetricInfo("dnsmos_bak", "DNSMOS BAK (P.835)", "MOS", True, 2),
    MetricInfo("dnsmos_p808", "DNSMOS (P.808)", "MOS", True, 2),
    MetricInfo("pesq_wb", "PESQ-WB (P.862.2)", "MOS-LQO", True, 2),
    MetricInfo("pesq_nb", "PESQ-NB (P.862.1)", "MOS-LQO", True, 2),
    MetricInfo("stoi", "STOI", "", True, 3),
    MetricInfo("estoi", "ESTOI", "", True, 3),
    MetricInfo("si_sdr", "SI-SDR", "dB", True, 1),
    MetricInfo("mel_distance", "Mel distance (log-mel L1)", "", False, 3),
    # dataset-level token statistics: descriptive, no direction
    MetricInfo("codebook_size", "Codebook", "", None, 0),
    MetricInfo("utilization", "Util.", "", None, 3),
    MetricInfo("perplexity", "Perplexity", "", None, 1),
    MetricInfo("entropy_bits", "Entropy", "bits", None, 2),
    MetricInfo("entropy_bitrate", "Entropy rate", "bit/s", None, 0),
    MetricInfo("field_entropy_bitrate", "Field entropy rate", "bit/s", None, 0),
    MetricInfo("sample_size_caveat", "Util. of reachable", "", None, 3),
    MetricInfo("nominal_bitrate", "Nominal rate", "bit/s", None, 0),
    MetricInfo("n_frames", "Frames", "", None, 0),
)
DEFAULT_METRIC_INFO: dict[str, MetricInfo] = {m.name: m for m in _DEFAULTS}
_FIELDS = {f.name for f in dataclasses.fields(MetricInfo)} - {"name"}


def resolve_metric_info(overrides: Mapping[str, Mapping[str, Any] | MetricInfo] | None = None
                        ) -> dict[str, MetricInfo]:
    """The built-in table updated by `overrides` (name -> fields or MetricInfo).

    Raises:
        ValueError: an override has a key MetricInfo does not know.
    """
    table = dict(DEFAULT_METRIC_INFO)
    for name, spec in (overrides or {}).items():
        if isinstance(spec, MetricInfo):
            table[name] = dataclasses.replace(spec, name=name)
            continue
        unknown = sorted(set(spec) - _FIELDS)
        if unknown:
            raise ValueError(f"metric_info[{name!r}]: unknown key(s) {unknown}; allowed: {sorted(_FIELDS)}")
        base = table.get(name, MetricInfo(name, name))
        table[name] = dataclasses.replace(base, **dict(spec))
    return table


def in_table_order(names: Iterable[str], table: Mapping[str, MetricInfo]) -> list[str]:
    """Distinct `names` in the table's order; names the table does not know last, sorted."""
    rank = {name: i for i, name in enumerate(table)}
    return sorted(set(names), key=lambda m: (rank.get(m, len(rank)), m))


def header_label(table: Mapping[str, MetricInfo], name: str) -> str:
    """Column header: the metric's label and its direction arrow (none when it has no direction)."""
    mi = info_for(table, name)
    return mi.label + {True: " ↑", False: " ↓", None: ""}[mi.higher_is_better]


def info_for(table: Mapping[str, MetricInfo], name: str, data_unit: str = "") -> MetricInfo:
    """Entry for `name`; an unknown metric gets its own name, the data's unit, no direction."""
    if name in table:
        return table[name]
    return MetricInfo(name, name, data_unit, None, 3)


def from_metric_specs(specs: Iterable[Any]) -> dict[str, dict[str, Any]]:
    """Overrides from `bench.metrics.base.MetricSpec` objects (or Metrics with `.spec`).

    Every output of a spec gets the spec's direction and unit; the label keeps
    the built-in one when there is one, else "<output> (<spec.family>)".
    """
    out: dict[str, dict[str, Any]] = {}
    for obj in specs:
        spec = getattr(obj, "spec", obj)
        for output in spec.outputs:
            entry: dict[str, Any] = {"higher_is_better": bool(spec.higher_is_better), "unit": spec.unit}
            if output not in DEFAULT_METRIC_INFO:
                entry["label"] = f"{output} ({spec.family})" if spec.family else output
            out[output] = entry
    return out
