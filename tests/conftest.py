"""Shared fixtures: bundled real audio, CPU-only torch."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("BENCH_DEVICE", "cpu")
ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


@pytest.fixture(scope="session")
def speech_files() -> list[Path]:
    """The 30 bundled LibriSpeech test-other utterances (16 kHz mono FLAC)."""
    files = sorted((DATA / "speech-16k").glob("*.flac"))
    assert len(files) == 30, "bundled speech-16k set is incomplete"
    return files


@pytest.fixture(scope="session")
def general_files() -> list[Path]:
    """Bundled music / noise clips (44.1 kHz stereo and 16 kHz mono)."""
    return sorted((DATA / "general").glob("*.flac"))


@pytest.fixture()
def speech_16k(speech_files):
    """One bundled utterance as (float64 mono signal, 16000)."""
    from bench.audio import load_mono
    x, _ = load_mono(speech_files[0], 16000)
    return x, 16000
