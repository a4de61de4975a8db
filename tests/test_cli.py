"""The README's main command path: `run --report` and `list`, through bench.cli.main."""
from __future__ import annotations

import pandas as pd

from bench.cli import main
from bench.results import read_results


def test_run_with_report_writes_results_tables_plots_and_provenance(tmp_path):
    code = main(["run", "--suite", "smoke", "--out", str(tmp_path), "--max-items", "1", "--workers", "1",
                 "--no-progress", "--report", "--no-extras"])
    out = tmp_path / "smoke"
    assert code == 0
    for name in ("results.csv", "provenance.json", "table.md", "table.tex", "table.csv", "report.md"):
        assert (out / name).is_file(), name
    assert list((out / "plots").glob("rd_*.png"))
    df = read_results(out / "results.csv")
    assert set(df["codec"]) == {"pcm16-16k", "mulaw-8k"} and set(df["status"]) == {"ok"}


def test_list_shows_exact_bitrates_and_weights_status(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "pcm16-16k" in text and "256.0000" in text
    assert "q2d2-rhombic-800" in text and "0.8105" in text      # 16.21 bit/frame x 50 Hz
    assert "dac-44k-9q" in text and "7.7520" in text


def test_unknown_suite_is_a_clear_error(capsys):
    assert main(["run", "--suite", "defualt"]) == 2
    assert "Did you mean 'default'" in capsys.readouterr().err


def _run_suite(tmp_path, name: str, body: str):
    """Write suite NAME (speech-16k, STOI, plus `body`), `run --report` it; its report folder."""
    suite = tmp_path / f"{name}.yaml"
    suite.write_text(f"name: {name}\ndatasets: [speech-16k]\nmetrics: [stoi]\n{body}")
    code = main(["run", "--suite", str(suite), "--out", str(tmp_path), "--workers", "1",
                 "--no-progress", "--report", "--no-extras"])
    assert code == 0
    return tmp_path / name


def test_suite_report_settings_write_compare_and_grid_ablation(tmp_path):
    """A suite's compare_kbps/reference/grid_ablation make `report` write compare.md and ablation.md."""
    out = _run_suite(tmp_path, "two-grids", "codecs: [q2d2-rect-800, q2d2-hex-800]\nmax_items: 2\n"
                     "compare_kbps: [0.8]\nreference: q2d2-rect\ngrid_ablation: true\n")
    compare = (out / "compare.md").read_text()
    assert "speech-16k at 0.8 kbit/s" in compare and "q2d2-hex-800" in compare
    ablation = (out / "ablation.md").read_text()
    assert "| [4, 4, 4, 4, 4, 4, 4, 4] | hexagonal | q2d2-hex-800 |" in ablation
    assert "[ablation.md](ablation.md)" in (out / "report.md").read_text()


def test_suite_seed_reference_writes_the_seed_replicate_report(tmp_path):
    """Shipped seed twins (fsq-800/-seed1, q2d2-hex-800/-seed1) on real audio: seeds.md with both
    sets, the seed-and-item test against FSQ and the seed-vs-seed null tests."""
    out = _run_suite(tmp_path, "twins", "codecs: [fsq-800, fsq-800-seed1, q2d2-hex-800, q2d2-hex-800-seed1]\n"
                     "max_items: 3\nseed_reference: fsq\n")
    seeds = (out / "seeds.md").read_text()
    assert "| **" in seeds and "| q2d2-hex | 2 | 3 |" in seeds and "(" in seeds
    assert "fsq-800 − fsq-800-seed1" in seeds and "q2d2-hex-800 − q2d2-hex-800-seed1" in seeds
    null = pd.read_csv(out / "seeds-null.csv")
    assert len(null) == 2 and set(null["n"]) == {3}
    assert "[seeds.md](seeds.md)" in (out / "report.md").read_text()
    assert (out / "plots" / "seeds_speech-16k.png").stat().st_size > 0 and "plots/seeds_speech-16k.png" in seeds


def test_stability_compares_seed_suites_of_two_training_lengths(tmp_path, capsys):
    """Shipped seed twins at 500 and 2000 steps on real audio: `stability` writes the verdict per length,
    the orders, the change between lengths and a plot; a suite without seed_reference is refused."""
    for name, tier in (("short", ""), ("long", "-long")):
        _run_suite(tmp_path, name, f"codecs: [fsq-800{tier}, fsq-800{tier}-seed1, q2d2-hex-800{tier}, "
                   f"q2d2-hex-800{tier}-seed1]\nmax_items: 3\nseed_reference: fsq{tier}\n")
    args = ["stability", "--suite", str(tmp_path / "short.yaml"), "--label", "500 steps",
            "--suite", str(tmp_path / "long.yaml"), "--label", "2000 steps", "--name", "stab", "--out", str(tmp_path)]
    assert main(args) == 0
    md = (tmp_path / "stab" / "stability.md").read_text()
    assert "speech-16k: verdict against fsq at each length (500 steps → 2000 steps)" in md
    assert "| q2d2-hex | " in md and "change from 500 steps to 2000 steps" in md
    changes = pd.read_csv(tmp_path / "stab" / "stability-change.csv")
    assert list(changes["family"]) == ["fsq", "q2d2-hex"] and set(changes["n"]) == {3}
    assert (tmp_path / "stab" / "plots" / "stability_speech-16k.png").stat().st_size > 0
    (tmp_path / "plain.yaml").write_text("name: plain\ncodecs: [fsq-800]\ndatasets: [speech-16k]\nmetrics: [stoi]\n")
    assert main(args[:1] + ["--suite", str(tmp_path / "plain.yaml"), "--label", "x"] + args[5:]) == 2
    assert "has no seed_reference" in capsys.readouterr().err
    assert main(args[:3] + args[5:]) == 2 and "one --label per --suite" in capsys.readouterr().err
