"""The listening page end to end: a real (tiny) suite run, then the page, in a real browser.

The suite runs the reference codecs on 2 speech and 2 noise items with SI-SDR
(seconds, serial). Two situations the page must show are added to the
results the way the runner records them: a codec without weights
(status=unavailable rows) and a codec that failed on one item (status=error
rows, no decoded audio in the cache).

Browser tests use Debian's `chromium` + `chromium-driver` through Selenium
and are skipped, with a message saying what to install, where those are missing.
"""
from __future__ import annotations

import dataclasses
import math
import re
from pathlib import Path

import pandas as pd
import pytest
import soundfile as sf

from bench.config import SuiteSpec
from bench.datasets import resolve_items
from bench.listening import write_listening_page
from bench.listening.browser import BrowserUnavailable, audio_states, find_binaries, headless_chromium
from bench.listening.clips import locate_sources
from bench.results import read_results
from bench.runner import RunOptions, plan_suite, run_suite
from bench.worker import Task

SUITE = SuiteSpec(name="listen-test", codecs=("pcm16-16k", "mulaw-8k"), datasets=("speech-16k", "general"),
                  metrics=("si_sdr",), max_items=2, token_stats=False)
UNAVAILABLE = ("dac-test-6kbps", "weights missing: put weights_6kbps.pth in codecs/weights/ or set DAC_6K")
FAILED = ("mulaw-8k", "general", "doing_the_dishes", "codec failed: RuntimeError: injected at mulaw.py:1")


def _inject(results: pd.DataFrame) -> pd.DataFrame:
    """Add an unavailable codec's rows and turn one (codec, item) into a failure."""
    codec, ds, item, why = FAILED
    hit = (results["codec"] == codec) & (results["dataset"] == ds) & (results["item"] == item)
    results.loc[hit, ["status", "error", "value"]] = ["error", why, math.nan]
    extra = results[results["codec"] == "pcm16-16k"].copy()
    extra[["codec", "family", "status", "error", "value", "bitrate"]] = [
        UNAVAILABLE[0], "dac", "unavailable", UNAVAILABLE[1], math.nan, 6000.0]
    return pd.concat([results, extra], ignore_index=True)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("reports")
    run_suite(SUITE, RunOptions(out_root=str(out), executor="serial", progress=False))
    suite_dir = out / SUITE.name
    results = _inject(read_results(suite_dir / "results.csv"))
    results.to_csv(suite_dir / "results.csv", index=False)
    sources = locate_sources(SUITE, suite_dir)
    codec, ds, item, _ = FAILED
    task = Task(sources.codecs[codec], sources.items[(ds, item)], (), str(sources.cache.root))
    sources.cache.arrays_path(task.decode_key).unlink()
    write_listening_page(suite_dir, suite=SUITE)
    return suite_dir


def _html(report: Path) -> str:
    return (report / "index.html").read_text(encoding="utf-8")


def test_decode_keys_match_the_runner(report):
    plan = plan_suite(dataclasses.replace(SUITE, metrics=()), RunOptions(out_root=str(report.parent)))
    sources = locate_sources(SUITE, report)
    item = plan.items["speech-16k"][0]
    key = Task(plan.codecs[0], item, (), "").decode_key
    assert sources.cache.arrays_path(key).is_file()


def test_grid_rows_columns_and_clips(report):
    html = _html(report)
    rows = re.findall(r'<tr data-item="([^"]+)"', html)
    speech = [i.item_id for i in resolve_items("speech-16k", limit=2)]
    assert rows == [f"speech-16k/{speech[0]}", f"speech-16k/{speech[1]}", "general/doing_the_dishes"]
    srcs = re.findall(r'<audio [^>]*src="([^"]+)"', html)
    # 3 references + 3 items x 2 codecs - the failed one
    assert len(srcs) == 3 + 3 * 2 - 1
    for src in srcs:
        info = sf.info(str(report / src))
        assert info.frames > 0, src
    mulaw = sf.info(str(report / f"listening/speech-16k/{speech[0]}/decoded/mulaw-8k.flac"))
    assert (mulaw.samplerate, mulaw.channels, mulaw.subtype) == (8000, 1, "PCM_16")
    ref = report / f"listening/speech-16k/{speech[0]}/reference.flac"
    assert ref.read_bytes() == (Path(resolve_items("speech-16k", limit=1)[0].path)).read_bytes()
    assert "8 kHz mono, FLAC 16-bit" in html and "64 kbit/s · 8 kHz out" in html


def test_unavailable_and_failed_cells_say_why(report):
    html = _html(report)
    assert html.count('class="cell status-unavailable"') == 3
    assert UNAVAILABLE[1] in html
    failed = re.findall(r'class="cell status-failed" data-codec="([^"]+)"', html)
    assert failed == ["mulaw-8k"]
    assert FAILED[3] in html


def test_page_is_offline_and_deterministic(report):
    html = _html(report)
    assert not re.search(r'(src|href)="(https?:)?//', html), "page must not load anything from the network"
    write_listening_page(report, suite=SUITE)
    assert _html(report) == html


def test_listen_command_items_and_errors(report, capsys):
    from bench.cli import main
    import yaml
    suite_yaml = report.parent / f"{SUITE.name}.yaml"
    suite_yaml.write_text(yaml.safe_dump({k: list(v) if isinstance(v, tuple) else v
                                          for k, v in dataclasses.asdict(SUITE).items()}))
    try:
        argv = ["listen", "--suite", str(suite_yaml), "--out", str(report.parent)]
        assert main(argv + ["--items", "general/doing_the_dishes,speech-16k/nope"]) == 2
        assert "'speech-16k/nope' is not in the results" in capsys.readouterr().err
        assert main(argv + ["--items", "general/doing_the_dishes"]) == 0
        assert re.findall(r'<tr data-item="([^"]+)"', _html(report)) == ["general/doing_the_dishes"]
    finally:
        write_listening_page(report, suite=SUITE)     # the default page, for the other tests


# ---------------------------------------------------------------- in the browser

@pytest.fixture(scope="module")
def browser():
    try:
        find_binaries()
        with headless_chromium() as driver:
            yield driver
    except BrowserUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.browser
def test_page_in_chromium(browser, report, tmp_path):
    from selenium.webdriver.common.by import By
    browser.get((report / "index.html").resolve().as_uri())
    assert browser.title == "listen-test: codec listening report"

    # one table row per codec operating point (speech and general tables)
    codecs = ["pcm16-16k", "mulaw-8k", UNAVAILABLE[0]]
    for table in browser.find_elements(By.CSS_SELECTOR, "table.results"):
        names = [r.find_element(By.CSS_SELECTOR, "td").text for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert sorted(names) == sorted(codecs), table.get_attribute("data-dataset")

    # every player's file loads and has the clip's duration
    state = audio_states(browser)
    assert len(state) == 8
    for src, ready, duration, error in state:
        info = sf.info(str(report / src))
        assert error == 0 and ready >= 1, (src, ready, error)
        assert duration == pytest.approx(info.frames / info.samplerate, abs=0.05), src

    # sorting by SI-SDR: numeric ascending, missing values last; a second click reverses
    table = browser.find_element(By.CSS_SELECTOR, 'table.results[data-dataset="speech-16k"]')
    header = next(h for h in table.find_elements(By.CSS_SELECTOR, "thead th") if h.text.startswith("SI-SDR"))
    col = [h.text for h in table.find_elements(By.CSS_SELECTOR, "thead th")].index(header.text)

    def column():
        cells = [r.find_elements(By.CSS_SELECTOR, "td") for r in table.find_elements(By.CSS_SELECTOR, "tbody tr")]
        return [(c[0].text, c[col].get_attribute("data-sort")) for c in cells]

    before = column()
    header.click()
    asc = column()
    values = [float(v) for _, v in asc if v]
    assert values == sorted(values) and all(v == "" for _, v in asc[len(values):])
    header.click()
    desc = column()
    values = [float(v) for _, v in desc if v]
    assert values == sorted(values, reverse=True)
    assert asc != before or desc != before, "sorting did not reorder any rows"
    assert header.get_attribute("aria-sort") == "descending"

    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]
    assert errors == [], errors
    png = tmp_path / "page.png"
    assert browser.save_screenshot(str(png)) and png.stat().st_size > 10_000
