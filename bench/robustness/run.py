"""Plan and run the robustness study of a suite: channel sweep plus locality probes.

`run_robustness` validates the suite with the runner's preflight (every
codec, dataset and metric name; missing weights become "unavailable" notes,
never a crash), then runs three kinds of units on the runner's executors:

1. channel units (`experiment.Unit`): codec x item x packing scheme;
2. noise-locality units (`probes.NoiseUnit`): codec x item;
3. seed-pair units (`probes.PairUnit`): twin trained codecs x item.

It writes into ``<out>/``: ``channel.csv`` and ``locality.csv`` (tidy rows),
``plan.json`` (what ran, what was unavailable and why, provenance), and the
report (`report.write_report`).
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from bench.codecs import describe_spec, get_spec, load_codec_specs
from bench.executors import WorkerDied, make_executor
from bench.paths import resolve
from bench.provenance import build_provenance, write_provenance
from bench.results import COLUMNS as RESULT_COLUMNS
from bench.robustness.experiment import EXTRA_COLUMNS, ChannelConfig, Unit, run_unit
from bench.robustness.locality import NOISE_SNRS_DB
from bench.robustness.packing import FieldGeometry, applicable_schemes, field_geometry
from bench.robustness.probes import NoiseUnit, PairUnit, find_seed_pairs, run_noise_unit, run_pair_unit
from bench.runner import RunOptions, _codec_info, plan_suite
from bench.worker import CodecInfo, Task, init_worker

DEFAULT_METRICS = ("stoi", "pesq_wb", "dnsmos", "utmos")


@dataclass(frozen=True)
class RobustnessOptions:
    """What to run, beyond the suite's codecs and datasets."""

    channel: ChannelConfig = ChannelConfig()
    metrics: tuple[str, ...] = DEFAULT_METRICS
    snrs_db: tuple[float, ...] = NOISE_SNRS_DB
    noise_seed: int = 0
    locality: bool = True
    extra_codecs: tuple[str, ...] = ()
    codespace_folder: str | None = "codecs/trained"   # training configs for the code-space study


@dataclass
class RobustnessPlan:
    codecs: list[CodecInfo]
    units: list[Unit]
    noise_units: list[NoiseUnit]
    pair_units: list[PairUnit]
    pairs: list[tuple[str, str]]
    notes: dict[str, Any] = field(default_factory=dict)


FSQ_FAMILIES = ("neucodec",)   # pretrained codecs whose fields are FSQ levels (scalar lines)


def packing_geometry(spec) -> Any:
    """Per stream, per field `FieldGeometry` of an implicit codebook, else None.

    Trained codecs: from their quantizer config (FSQ levels or Q2D2 grids).
    Pretrained FSQ codecs (`FSQ_FAMILIES`): every field is a line of levels.
    """
    if spec.family == "trained":
        return field_geometry(describe_spec(spec).get("quantizer"))
    if spec.family in FSQ_FAMILIES:
        fields = describe_spec(spec).get("field_sizes")
        if fields:
            return tuple(tuple(FieldGeometry("line", (int(n),)) for n in f) for f in fields)
    return None


def locality_geometry(spec, info: CodecInfo) -> Any:
    """Geometry for "within one": implicit fields, or one scalar line per PCM / mu-law stream."""
    geo = packing_geometry(spec)
    if geo is None and spec.family in ("pcm", "mulaw"):
        geo = tuple((FieldGeometry("line", (int(s),)),) for s in info.codebook_sizes)
    return geo


def plan_robustness(suite, opts: RunOptions, ropts: RobustnessOptions, cache_dir: Path) -> RobustnessPlan:
    """Units of work for `suite` (raises `PreflightError` on bad names, like `run`)."""
    suite = dataclasses.replace(suite, metrics=tuple(ropts.metrics),
                                codecs=tuple(dict.fromkeys(suite.codecs + tuple(ropts.extra_codecs))))
    plan = plan_suite(suite, opts)
    items = [it for ds in suite.datasets for it in plan.items[ds]]
    metrics = tuple(plan.metrics)
    units, noise_units = [], []
    schemes_of: dict[str, list[str]] = {}
    geometry_of: dict[str, list] = {}
    for info in plan.codecs:
        geo = packing_geometry(info.spec)
        if geo is not None:
            geometry_of[info.spec.name] = [[g.kind, list(g.levels)] for stream in geo for g in stream]
        schemes = applicable_schemes(info.codebook_sizes, info.field_sizes, geo)
        if ropts.channel.schemes:
            schemes = [s for s in schemes if s in ropts.channel.schemes]
        schemes_of[info.spec.name] = schemes
        for it in items:
            task = Task(info, it, metrics, str(cache_dir), opts.device)
            units += [Unit(task, s, geo, ropts.channel) for s in schemes]
            if ropts.locality:
                noise_units.append(NoiseUnit(task, locality_geometry(info.spec, info), ropts.snrs_db,
                                             ropts.noise_seed))
    pairs, pair_units, pair_note = [], [], "not run (locality probes switched off)"
    if ropts.locality:
        pairs, pair_units, pair_note = _pair_units(items, opts, cache_dir, set(suite.codecs))
    notes = {"suite": dataclasses.asdict(suite), "unavailable_codecs": plan.unavailable_codecs,
             "unavailable_metrics": plan.unavailable_metrics, "schemes": schemes_of, "geometry": geometry_of,
             "items": {ds: [i.item_id for i in plan.items[ds]] for ds in suite.datasets},
             "seed_pairs": [list(p) for p in pairs], "seed_pair_note": pair_note,
             "channel": dataclasses.asdict(ropts.channel), "snrs_db": list(ropts.snrs_db),
             "noise_seed": ropts.noise_seed, "metric_provenance": plan.metric_provenance}
    return RobustnessPlan(plan.codecs, units, noise_units, pair_units, pairs, notes)


def _pair_units(items, opts: RunOptions, cache_dir: Path, suite_codecs: set[str]):
    """Seed-twin pairs with at least one member in the suite (their twins are found in the catalog)."""
    from bench.registry import CODECS
    load_codec_specs()
    specs = [CODECS.get(n) for n in CODECS.names() if CODECS.get(n).family == "trained"]
    present = [s for s in specs if str(describe_spec(s).get("weights", "")).startswith("present")]
    pairs = [(a, b) for a, b in find_seed_pairs(present) if a in suite_codecs or b in suite_codecs]
    if not pairs:
        note = (f"not run: no two trained codecs with the same config and different seeds have weights "
                f"({len(present)} of {len(specs)} trained codec definitions have weights: "
                f"{', '.join(s.name for s in present) or 'none'})")
        return [], [], note
    units = []
    for a, b in pairs:
        problems, unavailable = [], {}
        ia, ib = (_codec_info(n, problems, unavailable) for n in (a, b))
        if ia is None or ib is None:
            continue
        geo = packing_geometry(get_spec(a))
        units += [PairUnit(Task(ia, it, (), str(cache_dir), opts.device),
                           Task(ib, it, (), str(cache_dir), opts.device), geo) for it in items]
    return pairs, units, f"run on {len(pairs)} pair(s)"


def _execute(fn, units: list, opts: RunOptions, desc: str) -> list[dict]:
    if not units:
        return []
    workers = 0 if opts.executor == "serial" else opts.workers
    executor = make_executor(opts.executor, workers, init_worker, opts.dask_address)
    rows: list[dict] = []
    bar = tqdm(total=len(units), desc=desc, unit="unit", disable=not opts.progress, dynamic_ncols=True)
    try:
        for i, result in executor.run(fn, units):
            if isinstance(result, BaseException):
                msg = str(result) if isinstance(result, WorkerDied) else f"{type(result).__name__}: {result}"
                raise RuntimeError(f"{desc} unit {i} failed outside its own error handling: {msg}")
            rows += result
            bar.update(1)
    finally:
        bar.close()
        executor.close()
    return rows


CHANNEL_COLUMNS = RESULT_COLUMNS + EXTRA_COLUMNS
LOCALITY_COLUMNS = ["probe", "codec", "dataset", "item", "condition", "field", "measure", "value", "error"]


def _write_csv(rows: list[dict], path: Path, columns: list[str], key: list[str]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=columns)
    if len(df):
        df = df.sort_values([k for k in key if k in df.columns], kind="stable").reset_index(drop=True)
    tmp = path.with_suffix(".tmp")
    df.to_csv(tmp, index=False, float_format="%.10g")
    tmp.replace(path)
    return df


def _codespace(ropts: RobustnessOptions, notes: dict) -> pd.DataFrame:
    """Code-space displacement rows of the shipped implicit quantizer configs (empty when off);
    their field geometries join ``notes["geometry"]`` for the report's packing table."""
    from bench.robustness.codespace import codespace_rows, shipped_geometries
    if not ropts.codespace_folder or not resolve(ropts.codespace_folder).is_dir():
        return pd.DataFrame()
    geos = shipped_geometries(resolve(ropts.codespace_folder))
    for g in geos:
        notes["geometry"].setdefault(g.name, [[f.kind, list(f.levels)] for f in g.fields])
    return pd.DataFrame(codespace_rows(geos, ropts.channel.ps, ropts.channel.seeds, ropts.channel.rule))


@dataclass
class RobustnessSummary:
    out_dir: Path
    channel_rows: int
    locality_rows: int
    seconds: float
    files: list[Path]


def run_robustness(suite, opts: RunOptions, ropts: RobustnessOptions, out_dir: str | Path,
                   cache_dir: str | Path | None = None, report: bool = True) -> RobustnessSummary:
    """Run the channel sweep and locality probes of `suite`; write CSVs, plan.json and the report.

    Args:
        cache_dir: content-addressed cache (default ``<out_dir>/cache``); safe to share.
    """
    from bench.robustness.report import write_report
    t0 = time.perf_counter()
    out = resolve(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rplan = plan_robustness(suite, opts, ropts, resolve(cache_dir) if cache_dir else out / "cache")
    channel = _execute(run_unit, rplan.units, opts, "channel")
    locality = _execute(run_noise_unit, rplan.noise_units, opts, "noise locality")
    locality += _execute(run_pair_unit, rplan.pair_units, opts, "seed-pair locality")
    codespace = _codespace(ropts, rplan.notes)
    cdf = _write_csv(channel, out / "channel.csv", CHANNEL_COLUMNS, ["codec", "packing", "p", "seed", "item", "metric"])
    ldf = _write_csv(locality, out / "locality.csv", LOCALITY_COLUMNS, ["probe", "codec", "condition", "item", "field", "measure"])
    write_provenance(out / "plan.json", build_provenance(robustness=rplan.notes, device=opts.device,
                                                         executor=opts.executor))
    files = [out / "channel.csv", out / "locality.csv", out / "plan.json"]
    if len(codespace):
        codespace.to_csv(out / "codespace.csv", index=False, float_format="%.6g")
        files.append(out / "codespace.csv")
    if report:
        files += write_report(cdf, ldf, rplan.notes, out, codespace)
    return RobustnessSummary(out, len(cdf), len(ldf), time.perf_counter() - t0, files)
