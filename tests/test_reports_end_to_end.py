"""write_report / compare_report: every file, provenance summary, byte-identical regeneration."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bench.reports import compare_report, write_report
from bench.reports.synthetic import synthetic_rows
from bench.results import read_results, write_results

TABLE_FILES = ("table.md", "table.tex", "table.csv", "report.md", "compare.md", "compare.csv")


@pytest.fixture()
def results(tmp_path):
    path = tmp_path / "suite" / "results.csv"
    write_results(synthetic_rows(n_items=4), path)
    (path.parent / "provenance.json").write_text(json.dumps({
        "date": "2026-01-02T03:04:05+00:00", "git": {"commit": "abc123", "dirty": False},
        "device": "cpu", "suite_hash": "feedbeef", "packages": {"numpy": "2"}}))
    return path


def test_write_report_files_and_regeneration(results):
    out = results.parent
    grid = np.array([[0, 0], [1, 0], [0, 1], [1, 1]], dtype=float)
    extra = {"n_resamples": 300, "targets_kbps": [0.8, 1.5],
             "counts_by_codec": {"fsq-800": np.array([5, 3, 0, 1])},
             "occupancy_maps": {"q2d2-rhombic-800": [(grid, np.array([4, 0, 1, 2]))]}}
    written = write_report(results, out, extra=extra)
    expected = set(TABLE_FILES) | {f"plots/{s}.{e}" for s in ("rd_speech", "dist_speech", "codebook_usage",
                                                             "occupancy_q2d2-rhombic-800") for e in ("png", "pdf")}
    assert set(written) == expected
    assert all(p.is_file() and p.stat().st_size > 0 for p in written.values())

    report = (out / "report.md").read_text()
    for text in ("git commit: `abc123`", "date: `2026-01-02T03:04:05+00:00`", "device: `cpu`",
                 "config hash: `feedbeef`", "n/a†", "UTMOS (UTMOS22 strong)",
                 "unavailable 24, error 1", "(plots/rd_speech.png)", "[compare.md](compare.md)"):
        assert text in report, text
    assert "packages" not in report

    before = {k: written[k].read_bytes() for k in expected}
    again = write_report(results, out, extra=extra)
    assert {k: again[k].read_bytes() for k in expected} == before


def test_unknown_extra_key_is_rejected(results):
    with pytest.raises(ValueError, match="(?s)unknown extra key.*'colour'.*targets_kbps"):
        write_report(results, results.parent, extra={"colour": "red"})


def test_report_without_provenance(tmp_path):
    path = tmp_path / "r" / "results.csv"
    write_results(synthetic_rows(n_items=3), path)
    (path.parent / "x").mkdir()
    written = compare_report(path, path.parent, [0.8], reference="fsq")
    assert set(written) == {"compare.md", "compare.csv"}
    assert "q2d2-rhombic" in written["compare.md"].read_text()


def test_compare_under_another_name_keeps_the_suite_compare(tmp_path):
    path = tmp_path / "r" / "results.csv"
    write_results(synthetic_rows(n_items=3), path)
    first = compare_report(path, path.parent, [0.8], reference="fsq")
    before = first["compare.md"].read_bytes()
    second = compare_report(path, path.parent, [0.8], reference="q2d2-rhombic", name="compare-rhombic")
    assert set(second) == {"compare-rhombic.md", "compare-rhombic.csv"}
    assert first["compare.md"].read_bytes() == before
    refs = set(pd.read_csv(second["compare-rhombic.csv"])["reference_codec"].dropna())
    assert refs and all("rhombic" in r for r in refs), refs


@pytest.mark.slow
def test_real_smoke_suite_report(tmp_path):
    """Run the bundled smoke suite (reference codecs, 3 utterances) and report it."""
    pytest.importorskip("bench.stats", reason="token statistics module not written yet")
    from bench.runner import RunOptions, load_suite, run_suite
    summary = run_suite(load_suite("smoke"), RunOptions(out_root=str(tmp_path), executor="serial",
                                                        progress=False))
    df = read_results(summary.results)
    written = write_report(summary.results, summary.results.parent, extra={"n_resamples": 500})
    table = written["table.md"].read_text()
    assert "pcm16-16k" in table and "mulaw-8k" in table
    pcm = df[(df["codec"] == "pcm16-16k") & (df["metric"] == "pesq_wb") & (df["status"] == "ok")]
    assert pcm["value"].mean() > 4.5  # 16-bit PCM is near PESQ's ceiling
    assert f"{pcm['value'].mean():.2f}" in table
