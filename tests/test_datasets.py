import shutil

import pytest

from bench.datasets import DatasetError, load_datasets, resolve_items
from bench.registry import UnknownNameError


def test_bundled_sets_resolve_and_verify():
    assert len(resolve_items("speech-16k")) == 30
    assert len(resolve_items("general")) == 9
    assert len(resolve_items("tts-24k")) == 4
    speakers = {it.item_id.split("-")[0] for it in resolve_items("speech-16k")}
    assert len(speakers) == 10


def test_limit_takes_first_sorted_items():
    items = resolve_items("speech-16k", limit=3)
    assert [i.item_id for i in items] == sorted(i.item_id for i in resolve_items("speech-16k"))[:3]


def test_user_dataset_without_root_names_variable(monkeypatch):
    monkeypatch.delenv("LIBRISPEECH_TEST_CLEAN", raising=False)
    with pytest.raises(DatasetError, match="LIBRISPEECH_TEST_CLEAN"):
        resolve_items("librispeech-test-clean")


def test_user_dataset_root_from_env_and_override(monkeypatch, tmp_path, speech_files):
    sub = tmp_path / "ls" / "1"
    sub.mkdir(parents=True)
    shutil.copy(speech_files[0], sub / "a.flac")
    monkeypatch.setenv("LIBRISPEECH_TEST_CLEAN", str(tmp_path / "ls"))
    assert [i.item_id for i in resolve_items("librispeech-test-clean")] == ["1/a"]
    monkeypatch.setenv("LIBRISPEECH_TEST_CLEAN", str(tmp_path / "missing"))
    with pytest.raises(DatasetError, match="does not exist"):
        resolve_items("librispeech-test-clean")
    assert len(resolve_items("librispeech-test-clean", root_override=str(tmp_path / "ls"))) == 1


def test_modified_bundled_file_fails_manifest_check(tmp_path, monkeypatch, speech_files):
    root = tmp_path / "repo"
    shutil.copytree(speech_files[0].parent.parent.parent / "data", root / "data")
    shutil.copy(speech_files[0].parent.parent.parent / "datasets.yaml", root / "datasets.yaml")
    victim = sorted((root / "data" / "speech-16k").glob("*.flac"))[0]
    victim.write_bytes(victim.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setenv("BENCH_ROOT", str(root))
    from bench import datasets
    datasets._manifest.cache_clear()
    try:
        load_datasets()
        with pytest.raises(DatasetError, match="does not match data/MANIFEST.sha256"):
            resolve_items("speech-16k")
    finally:
        monkeypatch.delenv("BENCH_ROOT")
        datasets._manifest.cache_clear()
        load_datasets()


def test_unknown_dataset_suggests():
    with pytest.raises(UnknownNameError, match="Did you mean 'speech-16k'"):
        resolve_items("speech_16k")
