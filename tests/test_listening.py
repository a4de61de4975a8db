"""Listening page pieces: item choice, 16-bit clips, sort keys, cell status."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import soundfile as sf

from bench.config import ConfigError
from bench.listening.clips import safe_name, to_pcm16, write_decoded, write_reference
from bench.listening.grid import cell_status, item_scores
from bench.listening.selection import ItemRef, default_items, parse_items
from bench.listening.table import sort_value
from bench.reports.metric_info import resolve_metric_info

AVAILABLE = {
    "speech-16k": ["1688-142285-0004", "1688-142285-0005", "1998-15444-0001", "2033-164914-0003"],
    "tts-24k": ["1089_134686_000001_000001"],
    "general": ["doing_the_dishes", "exercise_bike", "robin_inspectorj", "vibe_ace_kevin_macleod"],
}


def test_default_items_are_distinct_speakers_then_music_then_noise():
    refs = default_items(AVAILABLE)
    speech = [r for r in refs if r.kind == "speech"]
    assert len(speech) == 3
    # round-robin over speech datasets: tts-24k is heard too
    assert {r.dataset for r in speech} == {"speech-16k", "tts-24k"}
    assert len({r.item.split("-")[0] for r in speech if r.dataset == "speech-16k"}) == 2
    assert [(r.item, r.kind) for r in refs if r.dataset == "general"] == [
        ("vibe_ace_kevin_macleod", "music"), ("doing_the_dishes", "noise")]


def test_default_items_with_one_speaker_and_no_general():
    refs = default_items({"speech-16k": ["1688-142285-0008", "1688-142285-0004", "1688-142285-0005"]})
    assert [r.item for r in refs] == ["1688-142285-0004", "1688-142285-0005", "1688-142285-0008"]


def test_parse_items_accepts_qualified_and_unique_bare_ids_in_order():
    refs = parse_items(["general/robin_inspectorj", "1998-15444-0001", "general/robin_inspectorj"], AVAILABLE)
    assert refs == [ItemRef("general", "robin_inspectorj", ""), ItemRef("speech-16k", "1998-15444-0001", "speech")]


def test_parse_items_unknown_item_names_the_format_and_examples():
    with pytest.raises(ConfigError, match=r"'speech-16k/nope' is not in the results.*dataset/item_id.*general/"):
        parse_items(["speech-16k/nope"], AVAILABLE)
    with pytest.raises(ConfigError, match="several datasets"):
        parse_items(["x"], {"a": ["x"], "b": ["x"]})


def test_to_pcm16_scales_rounds_and_counts_clipping():
    pcm, n = to_pcm16(np.array([0.0, 0.5, -1.0, 1.0, 1.5, -2.0, 1 / 65536 * 0.9]))
    assert pcm.dtype == np.int16
    assert pcm.tolist() == [0, 16384, -32768, 32767, 32767, -32768, 0]
    assert n == 3        # 1.0 -> 32768 does not fit either
    with pytest.raises(ValueError, match="NaN"):
        to_pcm16(np.array([0.0, np.nan]))


def test_write_decoded_keeps_rate_and_level(tmp_path):
    rng = np.random.default_rng(0)
    x = (0.05 * rng.standard_normal(8000)).astype(np.float32)     # quiet: must stay quiet
    clip = write_decoded(x, 8000, tmp_path, "a/b/c.flac")
    y, sr = sf.read(tmp_path / clip.path, dtype="float64")
    assert (sr, clip.sample_rate, clip.channels, clip.seconds) == (8000, 8000, 1, 1.0)
    assert np.max(np.abs(y - x)) <= 0.5 / 32768 + 1e-9
    assert clip.note == "" and clip.description == "8 kHz mono, FLAC 16-bit"
    loud = write_decoded(np.array([0.0, 1.2, -1.2, 0.1]), 16000, tmp_path, "loud.flac")
    assert loud.note.startswith("2 samples beyond full scale clipped")


def test_write_reference_copies_playable_files_and_converts_float_wav(tmp_path):
    rng = np.random.default_rng(1)
    stereo = 0.1 * rng.standard_normal((4410, 2))
    sf.write(tmp_path / "in.flac", stereo, 44100, subtype="PCM_16")
    clip = write_reference(tmp_path / "in.flac", tmp_path / "page", "ref/x")
    assert clip.path == "ref/x.flac" and clip.description == "44.1 kHz stereo, FLAC 16-bit"
    assert (tmp_path / "page" / clip.path).read_bytes() == (tmp_path / "in.flac").read_bytes()
    sf.write(tmp_path / "f.wav", stereo, 22050, subtype="FLOAT")
    conv = write_reference(tmp_path / "f.wav", tmp_path / "page", "ref/f")
    assert conv.path == "ref/f.flac" and "re-encoded" in conv.note
    y, sr = sf.read(tmp_path / "page" / conv.path)
    assert sr == 22050 and y.shape == stereo.shape and np.max(np.abs(y - stereo)) < 1e-4


@pytest.mark.parametrize("text, value", [("3.41", 3.41), ("1,024", 1024.0), ("2^10", 1024.0),
                                         ("−1.5", -1.5), ("n/a", None), ("—", None), ("nan", None)])
def test_sort_value_parses_what_the_reader_sees(text, value):
    assert sort_value(text) == value


def test_safe_name():
    assert safe_name("dir/sub item:1") == "dir_sub_item_1"
    assert safe_name("../..") == "_"


def _rows(statuses, errors=None):
    errors = errors or [""] * len(statuses)
    return pd.DataFrame({"metric": [f"m{i}" for i in range(len(statuses))], "status": statuses,
                         "error": errors, "value": [1.0 if s == "ok" else np.nan for s in statuses],
                         "unit": ["dB"] * len(statuses)})


def test_cell_status_says_why_there_is_no_player():
    assert cell_status(_rows(["ok"]), True, "") == ("ok", "")
    assert cell_status(_rows(["ok"]), False, "weights missing: put x in y") == (
        "unavailable", "weights missing: put x in y")
    assert cell_status(_rows(["unavailable"] * 2, ["no ckpt"] * 2), False, "") == ("unavailable", "no ckpt")
    assert cell_status(_rows(["error", "error"], ["codec failed: boom", "codec failed: boom"]), False, "") == (
        "failed", "codec failed: boom")
    status, reason = cell_status(_rows(["ok"]), False, "")
    assert status == "missing" and "re-run" in reason
    assert cell_status(_rows([]), False, "")[0] == "not run"


def test_item_scores_use_report_labels_and_show_statuses():
    rows = pd.DataFrame({"metric": ["si_sdr", "pesq_wb"], "status": ["ok", "invalid"],
                         "error": ["", "silence"], "value": [12.345, np.nan], "unit": ["dB", "MOS-LQO"]})
    scores = item_scores(rows, resolve_metric_info())
    assert [(s.label, s.text, s.reason) for s in scores] == [
        ("PESQ-WB (P.862.2)", "invalid", "silence"), ("SI-SDR", "12.3 dB", "")]


def test_clip_file_name_clashes_are_errors():
    from bench.listening.grid import _check_file_names
    _check_file_names(["a-1", "a-2"], "codec")
    with pytest.raises(ValueError, match=r"codec names \['a b', 'a:b'\] map to the same clip file name"):
        _check_file_names(["a b", "a:b", "c"], "codec")
