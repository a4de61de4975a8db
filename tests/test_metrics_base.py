"""Metric contract: registry, metadata, cheap import, input checks and failure rows."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import bench.metrics  # noqa: F401  (registers the metrics)
from bench.metrics.base import ItemError, Metric, MetricSpec, check_signal
from bench.registry import METRICS

NAMES = ["dnsmos", "estoi", "mel_distance", "pesq_nb", "pesq_wb", "si_sdr", "stoi", "utmos"]
REFERENCE_METRICS = ["pesq_wb", "pesq_nb", "stoi", "estoi", "si_sdr", "mel_distance"]


def _speech(speech_files, rate: int) -> np.ndarray:
    from bench.audio import load_mono

    return load_mono(speech_files[0], rate)[0]


def test_all_metrics_registered_with_consistent_specs():
    assert METRICS.names() == NAMES
    for name in NAMES:
        metric = METRICS.get(name)
        spec = metric.spec
        assert isinstance(metric, Metric) and isinstance(spec, MetricSpec)
        assert spec.name == name and spec.outputs and spec.version and spec.family
        assert spec.sample_rate in (8000, 16000)
        assert spec.needs_reference == (name in REFERENCE_METRICS)
    assert METRICS.get("dnsmos").spec.outputs == ("dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl",
                                                  "dnsmos_p808")
    assert METRICS.get("utmos").spec.family == "UTMOS22-strong"
    assert METRICS.get("mel_distance").spec.higher_is_better is False
    assert METRICS.get("pesq_wb").spec.version.startswith("pesq-0.0.4/")


def test_import_is_cheap():
    """Importing the package loads no model library (they cost seconds each)."""
    code = ("import sys, bench.metrics; heavy = {'torch', 'onnxruntime', 'librosa', 'pesq', "
            "'pystoi', 'utmos_pytorch', 'speechmos.dnsmos'}; print(sorted(heavy & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_check_signal_accepts_speech(speech_files):
    assert check_signal(_speech(speech_files, 16000), 16000) == []


@pytest.mark.parametrize("make, reason", [
    (lambda x: np.zeros_like(x), "silent"),
    (lambda x: x * 1e-5, "silent"),
    (lambda x: x[:1600], "too short: 0.100 s"),
    (lambda x: np.where(np.arange(len(x)) == 100, np.nan, x), "1 NaN"),
    (lambda x: np.where(np.arange(len(x)) < 3, np.inf, x), "3 Inf"),
])
def test_check_signal_rejects_bad_input(speech_files, make, reason):
    with pytest.raises(ItemError, match=reason):
        check_signal(make(_speech(speech_files, 16000)), 16000, what="decoded")


def test_check_signal_warns_but_accepts_doubtful_input(speech_files):
    x = _speech(speech_files, 16000)
    clipped = np.clip(3 * x / np.max(np.abs(x)), -1, 1)
    assert check_signal(clipped, 16000) == ["reference clipped: 4.4% samples at |x|>=0.999"]
    assert check_signal(np.clip(1.0005 * x / np.max(np.abs(x)), -1, 1), 16000) == []
    assert any("exceeds full scale" in w for w in check_signal(1.5 * x / np.max(np.abs(x)), 16000))
    assert check_signal(x + 0.2, 16000) == ["reference DC offset 0.200"]
    with pytest.raises(ValueError, match="mono 1-D"):
        check_signal(np.stack([x, x]), 16000)


@pytest.mark.parametrize("name", REFERENCE_METRICS)
@pytest.mark.parametrize("bad, reason", [
    ("silence", "silent"), ("short", "too short"), ("nan", "NaN"), ("inf", "Inf")])
def test_reference_metrics_give_item_errors_not_crashes(speech_files, name, bad, reason):
    """Each bad case, in the reference or the decoded signal, is an ItemError with its reason."""
    metric = METRICS.get(name)
    x = _speech(speech_files, metric.spec.sample_rate)
    broken = {"silence": np.zeros_like(x), "short": x[: len(x) // 50], "nan": x.copy(),
              "inf": x.copy()}[bad]
    if bad in ("nan", "inf"):
        broken[len(x) // 2] = np.nan if bad == "nan" else -np.inf
    good = x[: len(broken)]
    for ref, deg in ((broken, good), (good, broken)):
        with pytest.raises(ItemError, match=reason):
            metric(ref, deg)


@pytest.mark.parametrize("bad, reason", [("silence", "silent"), ("short", "too short"),
                                         ("nan", "NaN")])
def test_no_reference_metrics_give_item_errors(speech_files, bad, reason):
    """DNSMOS and UTMOS reject bad input before any model is loaded."""
    from bench.metrics.dnsmos import dnsmos
    from bench.metrics.utmos import utmos_score

    x = _speech(speech_files, 16000)
    broken = {"silence": np.zeros_like(x), "short": x[:1000],
              "nan": np.where(np.arange(len(x)) == 7, np.nan, x)}[bad]
    with pytest.raises(ItemError, match=reason):
        dnsmos(broken)
    with pytest.raises(ItemError, match=reason):
        utmos_score(None, broken)    # the checks run before the model is touched


def test_metric_call_contract(speech_files):
    x = _speech(speech_files, 16000)
    with pytest.raises(ValueError, match="needs a reference"):
        METRICS.get("stoi")(None, x)
    with pytest.raises(ValueError, match="runner aligns lengths"):
        METRICS.get("si_sdr")(x, x[:-1])
    values = METRICS.get("si_sdr")(x, x + 0.01 * np.sin(np.arange(len(x))))
    assert list(values) == ["si_sdr"] and isinstance(values["si_sdr"], float)
