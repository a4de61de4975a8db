"""Bad inputs, bad configuration and faults: the run survives and says why."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

from bench.config import ConfigError, DatasetSpec, SuiteSpec
from bench.datasets import load_datasets
from bench.perf.badinputs import make_bad_inputs
from bench.registry import DATASETS
from bench.results import read_results
from bench.runner import PreflightError, RunLockedError, RunOptions, _Lock, load_suite, run_suite

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture()
def bad_dataset(tmp_path, speech_files):
    cases = make_bad_inputs(tmp_path / "bad", speech_files[0])
    load_datasets()
    DATASETS.add("bad-inputs", DatasetSpec(name="bad-inputs", glob="*.*", root=str(tmp_path / "bad")),
                 replace=True)
    return cases


def _suite(**kw) -> SuiteSpec:
    base = dict(name="rel", codecs=("pcm16-16k", "mulaw-8k"), datasets=("bad-inputs",),
                metrics=("pesq_wb", "stoi", "si_sdr"), token_stats=False)
    base.update(kw)
    return SuiteSpec(**base)


def test_every_bad_file_gets_a_row_with_its_reason_and_the_run_continues(bad_dataset, tmp_path):
    summary = run_suite(_suite(), RunOptions(out_root=str(tmp_path / "out"), executor="serial",
                                             progress=False))
    df = read_results(summary.results)
    per_item = df[df["item"] != "(all items)"]
    assert set(per_item["item"]) == {Path(n).stem for n in bad_dataset}
    by = {item: g for item, g in per_item[per_item["codec"] == "pcm16-16k"].groupby("item")}

    def statuses(item):
        return set(by[item]["status"])

    def errors(item):
        return " | ".join(by[item]["error"])

    assert statuses("00_good") == {"ok"}
    assert statuses("01_silence") == {"invalid"} and "silen" in errors("01_silence").lower()
    assert "01_silence.wav" in errors("01_silence")
    assert statuses("02_short") == {"invalid"} and "0.25" in errors("02_short")
    for item in ("03_nan", "04_inf"):
        assert statuses(item) == {"invalid"} and "NaN or Inf" in errors(item) and item in errors(item)
    assert "warn" in statuses("05_clipped") and "clip" in errors("05_clipped").lower()
    assert "warn" in statuses("06_dc_offset") and "dc" in errors("06_dc_offset").lower()
    for item in ("07_8bit", "08_float32", "09_96k", "10_6ch"):
        assert statuses(item) <= {"ok", "warn"}, errors(item)
    assert any("96000->16000" in s for s in by["09_96k"]["steps"])
    assert any("downmix 6ch->mono" in s for s in by["10_6ch"]["steps"])
    for item in ("11_empty", "12_truncated", "13_corrupt", "14_not_audio"):
        assert statuses(item) == {"invalid"}, errors(item)
        assert item in errors(item)          # the reason names the file
    assert df["value"][df["status"].isin(["invalid", "unavailable", "error"])].isna().all()


@pytest.mark.parametrize("field, value, message", [
    ("codecs", ("pcm16-16k", "dac-16k-12qq"), "unknown codec 'dac-16k-12qq'"),
    ("metrics", ("pesq_wb", "stio"), "Did you mean 'stoi'"),
    ("datasets", ("speech-16k", "speech16k"), "unknown dataset 'speech16k'"),
    ("datasets", ("librispeech-test-clean",), "LIBRISPEECH_TEST_CLEAN"),
])
def test_bad_names_and_roots_fail_before_any_work(tmp_path, monkeypatch, field, value, message):
    monkeypatch.delenv("LIBRISPEECH_TEST_CLEAN", raising=False)
    load_datasets()
    suite = _suite(**{"datasets": ("speech-16k",), field: value})
    with pytest.raises(PreflightError, match=message):
        run_suite(suite, RunOptions(out_root=str(tmp_path), executor="serial", progress=False))
    assert not (tmp_path / ".cache").exists()
    assert not (tmp_path / "rel" / "results.csv").exists()


def test_wrong_types_in_suite_yaml_name_file_and_key(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("name: s\ncodecs: pcm16-16k\ndatasets: [speech-16k]\nmetrics: [stoi]\n")
    with pytest.raises(ConfigError, match=r"s\.yaml\.codecs: expected a list"):
        load_suite(str(path))
    path.write_text("name: s\ncodecs: [pcm16-16k]\ndatasets: [speech-16k]\nmetrics: [stoi]\nmax_item: 3\n")
    with pytest.raises(ConfigError, match=r"unknown key\(s\) \['max_item'\]"):
        load_suite(str(path))


def test_second_run_on_same_output_is_refused(tmp_path):
    lock = _Lock(tmp_path / "rel")
    try:
        with pytest.raises(RunLockedError, match="in use by another run"):
            run_suite(_suite(datasets=("speech-16k",), max_items=1),
                      RunOptions(out_root=str(tmp_path), executor="serial", progress=False))
    finally:
        lock.release()


def test_corrupted_cache_entries_are_detected_and_recomputed(tmp_path):
    load_datasets()
    suite = _suite(datasets=("speech-16k",), max_items=2, metrics=("pesq_wb", "stoi"))
    opts = RunOptions(out_root=str(tmp_path), executor="serial", progress=False)
    first = read_results(run_suite(suite, opts).results)
    entries = sorted((tmp_path / ".cache").rglob("*.json"))
    arrays = sorted((tmp_path / ".cache").rglob("*.npz"))
    entries[0].write_text(entries[0].read_text()[:40])                # truncated JSON
    text = entries[1].read_text().replace('"value": ', '"value": 1', 1)  # checksum mismatch
    entries[1].write_text(text)
    arrays[0].write_bytes(arrays[0].read_bytes()[:100])                 # truncated npz
    with pytest.warns(UserWarning, match="corrupted"):
        second = run_suite(suite, opts)
    assert second.n_cached < second.n_tasks
    pd.testing.assert_frame_equal(first, read_results(second.results))


CRASH_PLUGIN = textwrap.dedent('''
    import os
    from bench.metrics.base import Metric, MetricSpec
    from bench.registry import METRICS

    class Crashy(Metric):
        spec = MetricSpec(name="crashy", unit="", higher_is_better=True, needs_reference=True,
                          sample_rate=16000, version="1", outputs=("crashy",))

        def compute(self, ref, deg):
            if len(ref) == int(os.environ["CRASH_ON_LEN"]):
                os._exit(3)          # the worker process dies, like a segfault
            return {"crashy": float(len(ref))}

    if "crashy" not in METRICS:
        METRICS.add("crashy", Crashy())
''')


def test_a_worker_that_dies_on_one_item_does_not_take_down_the_run(tmp_path, monkeypatch, speech_files):
    import soundfile as sf
    (tmp_path / "plug").mkdir()
    (tmp_path / "plug" / "crash_plugin.py").write_text(CRASH_PLUGIN)
    monkeypatch.syspath_prepend(str(tmp_path / "plug"))
    monkeypatch.setenv("PYTHONPATH", str(tmp_path / "plug") + os.pathsep + os.environ.get("PYTHONPATH", ""))
    monkeypatch.setenv("BENCH_PLUGINS", "crash_plugin")
    victim = sorted(speech_files)[1]
    monkeypatch.setenv("CRASH_ON_LEN", str(sf.info(str(victim)).frames))
    load_datasets()
    suite = _suite(codecs=("pcm16-16k",), datasets=("speech-16k",), max_items=3, metrics=("crashy",))
    df = read_results(run_suite(suite, RunOptions(out_root=str(tmp_path / "o"), workers=2,
                                                  progress=False)).results)
    assert len(df) == 3
    dead = df[df["item"] == victim.stem]
    assert list(dead["status"]) == ["error"] and "worker process died" in dead["error"].iloc[0]
    assert set(df[df["item"] != victim.stem]["status"]) == {"ok"}


def _run_cli(out: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(ROOT / "run_bench.py"), "run", "--suite", "smoke",
                             "--out", str(out), "--workers", "2", "--no-progress"],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_sigkill_at_random_points_then_resume_gives_identical_rows(tmp_path):
    ref = _run_cli(tmp_path / "ref")
    assert ref.wait(timeout=600) == 0, ref.stderr.read().decode()[-2000:]
    rng = random.Random(7)
    for _ in range(3):
        proc = _run_cli(tmp_path / "killed")
        time.sleep(rng.uniform(3.0, 12.0))
        proc.send_signal(signal.SIGKILL)     # no clean-up, no atexit: like a power cut
        proc.wait()
    final = _run_cli(tmp_path / "killed")
    assert final.wait(timeout=600) == 0, final.stderr.read().decode()[-2000:]
    a = read_results(tmp_path / "ref" / "smoke" / "results.csv")
    b = read_results(tmp_path / "killed" / "smoke" / "results.csv")
    pd.testing.assert_frame_equal(a, b)
    assert not a.duplicated(["codec", "dataset", "item", "metric"]).any()
