"""Score codecs for a regression check through the suite runner (cached).

Every check scores into one scratch suite, ``<out>/regress/`` (default
``.cache/regress/regress/``), so its content-hash cache is shared by all
checks and by `bench.regress.golden`: a second check of the same baseline
re-uses every decoded item and score. Only the codecs, datasets and metrics
of the current check are run; ``results.csv`` there is rewritten each time
and read back at once.
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from bench.config import CodecSpec, SuiteSpec
from bench.registry import CODECS
from bench.results import read_results

SCORE_SUITE = "regress"
DEFAULT_OUT = ".cache/regress"


def register_specs(specs: Sequence[CodecSpec]) -> None:
    """Make ad-hoc specs (checkpoints) known to the runner, after the YAML catalog."""
    from bench.codecs import load_codec_specs
    if len(CODECS) == 0:
        load_codec_specs()
    for spec in specs:
        if spec.name not in CODECS or CODECS.get(spec.name) != spec:
            CODECS.add(spec.name, spec, replace=True)


def score(specs: Sequence[CodecSpec], datasets: Sequence[str], metrics: Sequence[str], opts,
          seed: int = 0, max_items: int | None = None) -> pd.DataFrame:
    """Result rows of `specs` on `datasets` x `metrics` (one runner call, all cached).

    Args:
        specs: codecs to score (duplicates by name are scored once).
        datasets: dataset names.
        metrics: metric registry names.
        opts: `bench.runner.RunOptions`; its `out_root` holds the scratch suite.
        seed: recorded in the scratch suite.
        max_items: first N items per dataset (`opts.max_items` takes precedence, as in the runner).
    """
    from bench.runner import run_suite
    unique = list({s.name: s for s in specs}.values())
    register_specs(unique)
    suite = SuiteSpec(name=SCORE_SUITE, codecs=tuple(s.name for s in unique), datasets=tuple(datasets),
                      metrics=tuple(metrics), description="scratch suite of run_bench.py regress",
                      seed=seed, max_items=max_items, token_stats=False)
    summary = run_suite(suite, opts)
    return read_results(summary.results)


def selected_items(datasets: Sequence[str], opts, max_items: int | None) -> list[str]:
    """"<dataset>/<item>" keys a run of `datasets` covers (same rule as the runner)."""
    from bench.datasets import resolve_items
    keys = []
    for name in datasets:
        items = resolve_items(name, root_override=opts.dataset_roots.get(name), limit=max_items)
        keys += [f"{it.dataset}/{it.item_id}" for it in items]
    return keys
