"""Executors give the same rows wherever the tasks run."""
from __future__ import annotations

import pandas as pd
import pytest

from bench.config import SuiteSpec
from bench.datasets import load_datasets
from bench.executors import LocalExecutor, SerialExecutor, WorkerDied, make_executor
from bench.registry import UnknownNameError
from bench.results import read_results
from bench.runner import RunOptions, run_suite


def _square(x: int) -> int:
    if x < 0:
        raise ValueError("negative")
    return x * x


def _die(x: int) -> int:
    import os
    if x == 3:
        os._exit(9)
    return x


def test_serial_and_local_return_every_result_by_index():
    tasks = [1, 2, -1, 4]
    for ex in (SerialExecutor(), LocalExecutor(workers=2)):
        out = dict(ex.run(_square, tasks))
        assert out[0] == 1 and out[1] == 4 and out[3] == 16
        assert isinstance(out[2], ValueError)


def test_local_executor_isolates_a_task_that_kills_its_worker():
    out = dict(LocalExecutor(workers=2).run(_die, [1, 2, 3, 4, 5]))
    assert [out[i] for i in (0, 1, 3, 4)] == [1, 2, 4, 5]
    assert isinstance(out[2], WorkerDied)


def test_unknown_executor_suggests():
    with pytest.raises(UnknownNameError, match="Did you mean 'dask'"):
        make_executor("dusk", 1)


def test_dask_local_cluster_gives_exactly_the_rows_of_a_local_run(tmp_path):
    pytest.importorskip("distributed", reason="install the [dask] extra: pip install -e '.[dask]'")
    load_datasets()
    suite = SuiteSpec(name="ex", codecs=("pcm8-16k", "mulaw-8k"), datasets=("speech-16k",),
                      metrics=("pesq_wb", "stoi"), max_items=3)
    local = run_suite(suite, RunOptions(out_root=str(tmp_path / "local"), workers=2, progress=False))
    dask = run_suite(suite, RunOptions(out_root=str(tmp_path / "dask"), executor="dask", workers=2,
                                       progress=False))
    assert dask.n_cached == 0
    pd.testing.assert_frame_equal(read_results(local.results), read_results(dask.results))
