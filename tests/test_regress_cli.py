"""`run_bench.py regress` end to end on the bundled speech (offline, CPU, a few items).

Scores are cached in one module-wide scratch folder, so each codec is scored
once. The trained-checkpoint tests train a tiny model for a few steps (its
absolute quality is poor, but it is deterministic), and degrade a copy by
adding noise to its decoder weights: same rates, worse audio.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.cli import main
from bench.paths import repo_root
from bench.results import read_results

FAST = ["--max-items", "3", "--executor", "serial", "--no-progress", "--quiet", "--resamples", "2000"]


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("regress")


def regress(scratch: Path, *args: str, metrics: str = "pesq_wb,stoi", report: str = "r") -> tuple[int, dict, str]:
    """Run the CLI; returns (exit code, JSON report or {}, Markdown or '')."""
    out = scratch / report
    code = main(["regress", *args, "--metrics", metrics, "--out", str(scratch / "scores"),
                 "--report-dir", str(out), *FAST])
    js = json.loads((out / "regress.json").read_text()) if (out / "regress.json").is_file() else {}
    md = (out / "regress.md").read_text() if (out / "regress.md").is_file() else ""
    return code, js, md


def verdicts(js: dict) -> dict[str, str]:
    return {m["metric"]: m["verdict"] for m in js["metrics"]}


# ----- reference codecs -----------------------------------------------------------------------------

def test_codec_against_itself_is_unchanged(scratch):
    code, js, md = regress(scratch, "--baseline", "pcm16-16k", "--candidate", "pcm16-16k", report="self")
    assert code == 0 and verdicts(js) == {"pesq_wb": "unchanged", "stoi": "unchanged"}
    assert js["metrics"][0]["n"] == 3 and js["problems"] == []
    assert "no regression (exit 0)" in md and (scratch / "self" / "regress.png").is_file()


def test_different_bitrate_fails_with_the_bitrate_message(scratch, capsys):
    code, js, md = regress(scratch, "--baseline", "pcm16-16k", "--candidate", "pcm8-16k", report="bits")
    assert code == 1
    assert js["reasons"][0].startswith("bitrate changed: baseline 256000 bit/s, candidate 128000 bit/s")
    assert [r["field"] for r in js["rates"] if r["failed"]] == ["bitrate"]
    assert "| bitrate (bit/s) | 256000 | 128000 | ❌ changed |" in md


def test_declared_coarser_quantizer_is_caught_as_regressed(scratch):
    code, js, _ = regress(scratch, "--baseline", "pcm16-16k", "--candidate", "pcm8-16k",
                          "--declare-change", "bitrate", report="coarse")
    assert code == 1 and verdicts(js)["pesq_wb"] == "regressed"
    assert not any(r.startswith("bitrate") for r in js["reasons"])


def test_improved_candidate_is_improved(scratch):
    code, js, md = regress(scratch, "--baseline", "pcm8-16k", "--candidate", "pcm16-16k",
                           "--declare-change", "bitrate", report="better")
    assert code == 0 and verdicts(js) == {"pesq_wb": "improved", "stoi": "improved"}
    assert "declared change" in md


def test_missing_and_failed_rows_are_reported_exit_2(scratch):
    regress(scratch, "--baseline", "pcm16-16k", "--candidate", "pcm16-16k", report="self")
    rows = read_results(scratch / "scores" / "regress" / "results.csv")
    rows = rows[rows["codec"] == "pcm16-16k"]
    items = sorted(rows["item"].unique())
    rows = rows[rows["item"] != items[0]].copy()                        # one item missing
    bad = (rows["item"] == items[1]) & (rows["metric"] == "stoi")
    rows.loc[bad, ["value", "status", "error"]] = [float("nan"), "error", "RuntimeError: boom"]
    path = scratch / "baseline.csv"
    rows.to_csv(path, index=False)
    code, js, md = regress(scratch, "--baseline", str(path), "--candidate", "pcm16-16k", report="missing")
    assert code == 2
    assert f"pesq_wb speech-16k/{items[0]}: baseline: no row (item missing)" in js["problems"]
    assert f"stoi speech-16k/{items[1]}: baseline: status error (RuntimeError: boom)" in js["problems"]
    assert {m["metric"]: m["n"] for m in js["metrics"]} == {"pesq_wb": 2, "stoi": 1}
    assert "without a usable pair" in md
    code, js, _ = regress(scratch, "--baseline", str(path), "--candidate", "pcm16-16k", "--allow-missing",
                          report="missing2")
    assert code == 0 and len(js["problems"]) == 3       # compared, but still listed


def test_golden_baseline_reuses_committed_rows(scratch):
    golden = repo_root() / "reports" / "golden" / "speech-16k"
    if not (golden / "results.csv").is_file():
        pytest.fail("golden baselines missing: run `python run_bench.py golden`")
    code, js, _ = regress(scratch, "--baseline", str(golden), "--candidate", "pcm16-16k", report="golden")
    assert code == 0 and verdicts(js) == {"pesq_wb": "unchanged", "stoi": "unchanged"}
    assert js["baseline"].startswith("pcm16-16k (results:")
    assert js["settings"]["n_selected_items"] == 3
    # two results files (here one file, two codecs): nothing is scored, all 30 items are paired
    code, js, _ = regress(scratch, "--baseline", str(golden), "--baseline-codec", "mulaw-16k",
                          "--candidate", str(golden), "--candidate-codec", "mulaw-8k", report="golden2")
    assert code == 1 and verdicts(js)["pesq_wb"] == "regressed" and js["metrics"][0]["n"] == 30
    assert any(r.startswith("sample_rate changed: baseline 16000 Hz, candidate 8000 Hz") for r in js["reasons"])


def test_errors_exit_2_with_the_reason(scratch, capsys):
    code, _, _ = regress(scratch, "--baseline", "pcm16-16", "--candidate", "pcm16-16k", report="e1")
    assert code == 2 and "pcm16-16k" in capsys.readouterr().err          # did-you-mean
    code, _, _ = regress(scratch, "--baseline", "pcm16-16k", "--candidate", "nowhere/x.pt", report="e2")
    assert code == 2 and "x.pt does not exist" in capsys.readouterr().err
    code, _, _ = regress(scratch, "--baseline", "pcm16-16k", "--candidate", "pcm16-16k", report="e3",
                         metrics="pesq_wb,no_such_metric")
    assert code == 2 and "no_such_metric" in capsys.readouterr().err


# ----- trained checkpoints -----------------------------------------------------------------------------

TINY = """base: {base}
name: tiny
steps: 30
log_every: 10
val_every: 30
ckpt_every: 30
model: {{dim: 32, enc_layers: 1, dec_layers: 1, up_dim: 16, up_layers: 1}}
data: {{batch_size: 4, holdout: 2}}
"""


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory) -> tuple[Path, Path]:
    """(a 30-step tiny trained checkpoint, a copy with noise on its decoder weights)."""
    from bench.regress.degrade import add_decoder_noise
    from bench.train.loop import train
    folder = tmp_path_factory.mktemp("tiny")
    cfg = folder / "tiny.yaml"
    cfg.write_text(TINY.format(base=repo_root() / "codecs" / "trained" / "base.yaml"))
    ckpt = train(cfg, out_dir=folder / "run", steps=30, device="cpu", threads=1, data_limit=6, progress=False)
    noisy = folder / "noisy" / "tiny.pt"
    assert add_decoder_noise(ckpt, noisy, relative_std=0.5, seed=0) > 0
    return Path(ckpt), noisy


@pytest.mark.slow
def test_checkpoint_against_itself_is_unchanged(scratch, tiny_checkpoints):
    ckpt, _ = tiny_checkpoints
    code, js, _ = regress(scratch, "--baseline", str(ckpt), "--candidate", str(ckpt),
                          metrics="stoi,mel_distance", report="ckself")
    assert code == 0 and verdicts(js) == {"stoi": "unchanged", "mel_distance": "unchanged"}
    assert js["candidate"].startswith("tiny@candidate (checkpoint:")


@pytest.mark.slow
def test_noisy_decoder_checkpoint_is_regressed(scratch, tiny_checkpoints):
    ckpt, noisy = tiny_checkpoints
    code, js, _ = regress(scratch, "--baseline", str(ckpt), "--candidate", str(noisy),
                          metrics="stoi,mel_distance", report="cknoisy")
    assert code == 1 and "regressed" in verdicts(js).values()
    assert not any(r["changed"] for r in js["rates"])     # same rates: the audio got worse
    mel = [m for m in js["metrics"] if m["metric"] == "mel_distance"][0]
    assert mel["mean_diff"] > 0 and mel["verdict"] == "regressed"    # lower-is-better, flipped correctly


def test_golden_refresh_writes_results_and_provenance(scratch, capsys):
    root = scratch / "golden"
    code = main(["golden", "--codecs", "pcm16-16k", "--metrics", "si_sdr", "--golden-root", str(root),
                 "--executor", "serial", "--no-progress"])
    assert code == 0
    rows = read_results(root / "speech-16k" / "results.csv")
    assert (rows["codec"].unique().tolist(), rows["item"].nunique(), set(rows["status"])) == (
        ["pcm16-16k"], 30, {"ok"})
    prov = json.loads((root / "speech-16k" / "provenance.json").read_text())
    assert prov["golden"]["refresh_command"] == "python run_bench.py golden --dataset speech-16k --metrics si_sdr"
    assert prov["golden"]["codecs"] == ["pcm16-16k"] and "git" in prov and "packages" in prov
    excluded = prov["golden"]["excluded"]
    assert excluded["pcm8-16k"] == "not requested (--codecs)"
    assert all(why == "not requested (--codecs)" or "not shipped" in why for why in excluded.values())
    from bench.config import ConfigError
    from bench.regress.golden import refresh_golden
    from bench.runner import RunOptions
    with pytest.raises(ConfigError, match="drop --max-items"):
        refresh_golden(RunOptions(max_items=3), golden_root=str(root))
