"""Golden baselines: committed results of every shipped codec on a bundled dataset.

``reports/golden/<dataset>/results.csv`` holds the rows of every reference
codec (pcm, mulaw) and every trained codec whose checkpoint ships in
``codecs/trained/`` on all items of the dataset; ``provenance.json`` beside it
is the runner's provenance record (versions, git commit, data manifest hash,
per-codec content keys and weights hashes) plus a ``golden`` section naming
the included codecs, the excluded ones with the reason, and the command that
refreshes the files::

    python run_bench.py golden --dataset speech-16k

Pretrained codecs (DAC, Encodec, NeuCodec) are excluded: their weights are
not shipped. A check against the golden file re-scores only the candidate::

    python run_bench.py regress --baseline reports/golden/speech-16k --candidate <checkpoint>
"""
from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path
from typing import Sequence

from bench.config import ConfigError, SuiteSpec
from bench.paths import resolve

GOLDEN_METRICS = ("pesq_wb", "stoi", "estoi", "si_sdr")   # the default suite's metrics
REFERENCE_FAMILIES = ("pcm", "mulaw")
SHIPPED_FAMILIES = ("trained",)


def golden_codecs() -> tuple[list[str], dict[str, str]]:
    """(codec names to include, {excluded name: reason}) from the codec catalog."""
    from bench.codecs import describe_spec, load_codec_specs
    included, excluded = [], {}
    for spec in load_codec_specs():
        if spec.family in REFERENCE_FAMILIES:
            included.append(spec.name)
        elif spec.family in SHIPPED_FAMILIES:
            status = str(describe_spec(spec).get("weights", ""))
            if status.startswith("present"):
                included.append(spec.name)
            else:
                excluded[spec.name] = f"checkpoint not shipped yet: {status}"
        else:
            excluded[spec.name] = f"family {spec.family!r}: pretrained weights are not shipped"
    return included, excluded


def refresh_command(dataset: str, metrics: Sequence[str]) -> str:
    cmd = f"python run_bench.py golden --dataset {dataset}"
    return cmd if tuple(metrics) == GOLDEN_METRICS else cmd + f" --metrics {','.join(metrics)}"


def refresh_golden(opts, dataset: str = "speech-16k", metrics: Sequence[str] | None = None,
                   golden_root: str = "reports/golden", codecs: Sequence[str] | None = None) -> dict[str, Path]:
    """Score the golden codecs on every item of `dataset` and write the golden files.

    Args:
        opts: `bench.runner.RunOptions` (``max_items`` must be unset: golden files cover every item).
        dataset: dataset name.
        metrics: metric names (default `GOLDEN_METRICS`).
        golden_root: folder of the golden baselines.
        codecs: restrict to these codec names (default: `golden_codecs`).

    Returns:
        {"results": path, "provenance": path}.

    Raises:
        ConfigError: ``max_items`` set, or no codec to score.
    """
    from bench.regress.scoring import SCORE_SUITE, register_specs
    from bench.runner import run_suite
    if opts.max_items:
        raise ConfigError("golden baselines cover every item of the dataset; drop --max-items")
    metrics = tuple(metrics or GOLDEN_METRICS)
    included, excluded = golden_codecs()
    if codecs:
        from bench.codecs import get_spec
        register_specs([get_spec(c) for c in codecs])
        excluded = {k: v for k, v in excluded.items() if k not in codecs}
        excluded.update({k: "not requested (--codecs)" for k in included if k not in codecs})
        included = list(codecs)
    if not included:
        raise ConfigError("no codec to score for the golden baselines")
    suite = SuiteSpec(name=SCORE_SUITE, codecs=tuple(included), datasets=(dataset,), metrics=metrics,
                      description=f"golden baselines on {dataset}", token_stats=False)
    summary = run_suite(suite, opts)
    folder = resolve(golden_root) / dataset
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(summary.results, folder / "results.csv")
    record = json.loads(Path(summary.provenance).read_text())
    record["suite"] = {**dataclasses.asdict(suite), "name": f"golden/{dataset}"}
    record["golden"] = {"dataset": dataset, "metrics": list(metrics), "codecs": included,
                        "excluded": excluded, "status_counts": summary.status_counts,
                        "refresh_command": refresh_command(dataset, metrics)}
    (folder / "provenance.json").write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    return {"results": folder / "results.csv", "provenance": folder / "provenance.json"}
