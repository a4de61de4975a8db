"""The suite runner: validate everything, run codec x item tasks in parallel,
cache every finished piece, and write tidy results plus provenance.

Order of work:
1. `plan_suite` checks every name, parameter, dataset root, checkpoint hash and
   architecture before any audio is processed (`PreflightError` lists every
   problem at once).
2. Tasks (one codec on one item, all metrics) whose rows are all cached are
   read back; the rest go to the executor, with a progress bar.
3. Dataset-level token statistics are computed from the cached codes.
4. `results.csv` and `provenance.json` are written atomically. A run killed at
   any point leaves its finished tasks in the cache, so re-running it ends
   with exactly the rows of an uninterrupted run.
"""
from __future__ import annotations

import dataclasses
import fcntl
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

import bench
from bench.cache import Cache, content_hash
from bench.codec import WeightsUnavailable
from bench.codecs import build_codec, describe_spec, get_spec
from bench.config import ConfigError, SuiteSpec, from_dict, load_yaml
from bench.datasets import DatasetError, Item, resolve_items, sha256_file
from bench.executors import WorkerDied, make_executor
from bench.paths import repo_root, resolve
from bench.provenance import build_provenance, write_provenance
from bench.results import TOKEN_ITEM, ResultRow, write_results
from bench.worker import CodecInfo, MetricRef, Task, failure_rows, get_metric, init_worker, run_task


class PreflightError(RuntimeError):
    """The suite cannot start; the message lists every problem found."""


class RunLockedError(RuntimeError):
    """Another run holds the output folder."""


@dataclass(frozen=True)
class RunOptions:
    """How to run a suite (CLI flags)."""

    out_root: str = "reports"
    workers: int | None = None
    executor: str = "local"
    dask_address: str | None = None
    device: str = "cpu"
    dataset_roots: dict = field(default_factory=dict)
    max_items: int | None = None
    progress: bool = True


@dataclass
class Plan:
    suite: SuiteSpec
    codecs: list[CodecInfo]
    unavailable_codecs: dict[str, str]          # codec name -> message
    metrics: list[MetricRef]                    # loadable metrics (tasks compute these)
    unavailable_metrics: dict[str, str]         # metric name -> message
    unavailable_metric_refs: list[MetricRef]
    items: dict[str, list[Item]]
    metric_provenance: dict[str, Any]
    codec_provenance: dict[str, dict] = field(default_factory=dict)   # weights, notes, alignment


def suite_cache(out_dir: Path) -> Cache:
    """The content-addressed cache of a suite folder: shared by every suite under one root.

    Keys are content hashes (audio, codec config and weights, metric version),
    never suite names, so suites that share codecs and items share the work.
    """
    return Cache(Path(out_dir).parent / ".cache")


def load_suite(name_or_path: str) -> SuiteSpec:
    """A suite by name (`suites/<name>.yaml`) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = repo_root() / "suites" / f"{name_or_path}.yaml"
        if not path.is_file():
            known = sorted(p.stem for p in (repo_root() / "suites").glob("*.yaml"))
            from bench.registry import UnknownNameError
            raise UnknownNameError("suite", name_or_path, known)
    return from_dict(SuiteSpec, load_yaml(resolve(path)), str(path))


def _weights_sha(status: str) -> str | None:
    """sha256 of the checkpoint named by a "present: <path>" weights status."""
    if not status.startswith("present: "):
        return None
    path = Path(status[len("present: "):].strip())
    return sha256_file(path) if path.is_file() else None


def _codec_info(name: str, problems: list[str], unavailable: dict[str, str],
                meta: dict[str, dict] | None = None) -> CodecInfo | None:
    try:
        spec = get_spec(name)
        info = describe_spec(spec)
    except (KeyError, ValueError, ConfigError, ImportError) as exc:
        problems.append(f"codec {name!r}: {exc}")
        return None
    status = str(info.get("weights", ""))
    sha = _weights_sha(status)
    if meta is not None:
        meta[name] = {"weights": status, "weights_sha256": sha}
    if spec.weights and spec.weights.sha256 and sha and sha != spec.weights.sha256:
        problems.append(f"codec {name!r}: checkpoint {status[9:]} has sha256 {sha}, "
                        f"but {spec.source_file} expects {spec.weights.sha256}")
        return None
    if status.startswith("missing"):
        try:
            build_codec(spec)
            unavailable[name] = status
        except WeightsUnavailable as exc:
            unavailable[name] = str(exc)
        except Exception as exc:
            problems.append(f"codec {name!r}: {exc}")
        return None
    fields = {k: v for k, v in dataclasses.asdict(spec).items() if k not in ("description", "source_file")}
    return CodecInfo(
        spec=spec, key=content_hash("codec", fields, sha, bench.__version__),
        sample_rate=int(info["sample_rate"]), output_sample_rate=int(info["output_sample_rate"]),
        frame_rate=float(info["frame_rate"]), bitrate=float(info["nominal_bitrate"]),
        token_rate=float(info["token_rate"]), codebook_sizes=tuple(info["codebook_sizes"]),
        field_sizes=tuple(tuple(f) for f in info["field_sizes"]) if info.get("field_sizes") else None)


def plan_suite(suite: SuiteSpec, opts: RunOptions) -> Plan:
    """Validate names, parameters, roots, hashes and weights before any work."""
    problems: list[str] = []
    unavailable_codecs: dict[str, str] = {}
    meta: dict[str, dict] = {}
    codecs = [c for c in (_codec_info(n, problems, unavailable_codecs, meta) for n in suite.codecs) if c]
    metrics, missing_refs, unavailable_metrics, metric_prov = [], [], {}, {}
    for name in suite.metrics:
        try:
            metric = get_metric(name)
        except KeyError as exc:
            problems.append(str(exc))
            continue
        spec = metric.spec
        try:
            metric.load()
            metric_prov[name] = metric.provenance()
        except WeightsUnavailable as exc:
            unavailable_metrics[name] = str(exc)
            metric_prov[name] = {"status": "unavailable", "message": str(exc)}
        except Exception as exc:
            problems.append(f"metric {name!r} failed to load: {exc}")
            continue
        ref = MetricRef(name, tuple(spec.outputs), spec.unit, spec.sample_rate, spec.needs_reference,
                        content_hash("metric", name, spec.version, metric_prov[name]))
        (missing_refs if name in unavailable_metrics else metrics).append(ref)
    items: dict[str, list[Item]] = {}
    limit = opts.max_items or suite.max_items
    for name in suite.datasets:
        try:
            items[name] = resolve_items(name, root_override=opts.dataset_roots.get(name), limit=limit)
        except (KeyError, DatasetError, ConfigError) as exc:
            problems.append(str(exc))
    if problems:
        raise PreflightError("suite cannot start:\n  - " + "\n  - ".join(problems))
    return Plan(suite, codecs, unavailable_codecs, metrics, unavailable_metrics, missing_refs, items,
                metric_prov, meta)


def _check_architectures(plan: Plan, tasks: list[Task], cache: Cache) -> None:
    """Build each codec that has uncached work once, so a wrong checkpoint fails early."""
    problems = []
    need = {t.codec.key: t.codec for t in tasks if not all(cache.has_json(t.metric_key(m)) for m in t.metrics)}
    for info in need.values():
        try:
            codec = build_codec(info.spec)
            plan.codec_provenance.setdefault(info.spec.name, {}).update(
                {k: v for k, v in codec.describe().items() if k in ("notes", "alignment", "weights_sha256")})
        except WeightsUnavailable as exc:
            plan.unavailable_codecs[info.spec.name] = str(exc)
        except Exception as exc:
            problems.append(f"codec {info.spec.name!r}: {exc}")
    if problems:
        raise PreflightError("suite cannot start:\n  - " + "\n  - ".join(problems))


class _Lock:
    """An exclusive lock on the output folder (released by the OS if the run dies)."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / ".lock"
        self.fh = open(self.path, "a+")
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "unknown"
            self.fh.close()
            raise RunLockedError(f"{folder} is in use by another run (pid {holder}); "
                                 "wait for it or use another --out folder") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()

    def release(self) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


@dataclass
class RunSummary:
    results: Path
    provenance: Path
    n_rows: int
    n_tasks: int
    n_cached: int
    seconds: float
    status_counts: dict[str, int]


def run_suite(suite: SuiteSpec, opts: RunOptions = RunOptions()) -> RunSummary:
    """Run a suite end to end; see the module docstring."""
    t0 = time.perf_counter()
    out_dir = resolve(opts.out_root) / suite.name
    lock = _Lock(out_dir)
    try:
        plan = plan_suite(suite, opts)
        cache = suite_cache(out_dir)
        tasks = [Task(c, it, tuple(plan.metrics), str(cache.root), opts.device)
                 for c in plan.codecs for ds in suite.datasets for it in plan.items[ds]]
        _check_architectures(plan, tasks, cache)
        tasks = [t for t in tasks if t.codec.spec.name not in plan.unavailable_codecs]
        rows, n_cached = _execute(tasks, cache, opts)
        rows += _placeholder_rows(plan)
        rows += token_rows(plan, cache, suite)
        results = write_results((ResultRow(**r) for r in rows), out_dir / "results.csv")
        prov = build_provenance(
            suite=dataclasses.asdict(suite), suite_hash=content_hash(dataclasses.asdict(suite)),
            codecs={c.spec.name: {"key": c.key, "spec": dataclasses.asdict(c.spec), "bitrate": c.bitrate,
                                  "token_rate": c.token_rate, **plan.codec_provenance.get(c.spec.name, {})}
                    for c in plan.codecs},
            unavailable_codecs=plan.unavailable_codecs, metrics=plan.metric_provenance,
            unavailable_metrics=plan.unavailable_metrics,
            datasets={k: [{"item": i.item_id, "sha256": i.sha256} for i in v] for k, v in plan.items.items()},
            device=opts.device, executor=opts.executor, workers=opts.workers, seed=suite.seed)
        write_provenance(out_dir / "provenance.json", prov)
        counts = results["status"].value_counts().to_dict()
        return RunSummary(out_dir / "results.csv", out_dir / "provenance.json", len(results),
                          len(tasks), n_cached, time.perf_counter() - t0, counts)
    finally:
        lock.release()


def _execute(tasks: list[Task], cache: Cache, opts: RunOptions) -> tuple[list[dict], int]:
    rows: list[dict] = []
    todo = []
    for t in tasks:
        hits = [cache.get_json(t.metric_key(m)) for m in t.metrics]
        if all(h is not None for h in hits):
            rows += [r for h in hits for r in h]
        else:
            todo.append(t)
    n_cached = len(tasks) - len(todo)
    if not todo:
        return rows, n_cached
    workers = 0 if opts.executor == "serial" else opts.workers
    executor = make_executor(opts.executor, workers, init_worker, opts.dask_address)
    bar = tqdm(total=len(todo), desc="codec x item", unit="task", disable=not opts.progress,
               dynamic_ncols=True)
    try:
        for i, result in executor.run(run_task, todo):
            task = todo[i]
            if isinstance(result, BaseException):
                status = "error"
                msg = str(result) if isinstance(result, WorkerDied) else f"{type(result).__name__}: {result}"
                result = failure_rows(task, task.metrics, status, msg)
            rows += result
            bar.update(1)
    finally:
        bar.close()
        executor.close()
    return rows, n_cached


def _placeholder_rows(plan: Plan) -> list[dict]:
    """status=unavailable rows for missing codec weights and missing metric weights."""
    rows = []
    for codec in plan.codecs:
        if codec.spec.name in plan.unavailable_codecs:
            continue
        for ref in plan.unavailable_metric_refs:
            for items in plan.items.values():
                for item in items:
                    rows += failure_rows(Task(codec, item, (ref,), ""), (ref,), "unavailable",
                                         plan.unavailable_metrics[ref.name])
    all_metrics = tuple(plan.metrics) + tuple(plan.unavailable_metric_refs)
    for name, message in plan.unavailable_codecs.items():
        spec = get_spec(name)
        try:
            info = describe_spec(spec)
        except Exception:
            info = {}
        codec = CodecInfo(spec, "", int(info.get("sample_rate", 0)), int(info.get("output_sample_rate", 0)),
                          float(info.get("frame_rate", 0.0)), float(info.get("nominal_bitrate", math.nan)),
                          float(info.get("token_rate", math.nan)))
        for ds, items in plan.items.items():
            for item in items:
                rows += failure_rows(Task(codec, item, all_metrics, ""), all_metrics, "unavailable", message)
    return rows


def token_rows(plan: Plan, cache: Cache, suite: SuiteSpec) -> list[dict]:
    """Dataset-level codebook statistics from the cached codes of every item."""
    if not suite.token_stats:
        return []
    from bench.tokens import token_metric_rows
    return token_metric_rows(plan, cache)
