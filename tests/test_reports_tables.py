"""Summary statistics and paper tables (Markdown, LaTeX, CSV) from synthetic tidy rows."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

from bench.reports.formatting import fmt_count, fmt_fixed, fmt_sig, latex_escape, mark
from bench.reports.grouping import default_group, operating_points
from bench.reports.layout import layout_tables
from bench.reports.metric_info import from_metric_specs, resolve_metric_info
from bench.reports.synthetic import UTMOS_WHY, synthetic_results
from bench.reports.tables import summary_table, to_csv, to_latex, to_markdown
from bench.results import TOKEN_ITEM, read_results, write_results
from bench.reports.synthetic import synthetic_rows
from bench.statistics import bootstrap_ci

N_RES = 500  # enough for exact-equality checks, quick to compute


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return synthetic_results()


@pytest.fixture(scope="module")
def table(df) -> pd.DataFrame:
    return summary_table(df, n_resamples=N_RES, seed=3)


def _row(table, codec):
    return table[table["codec"] == codec].iloc[0]


def test_means_and_cis_match_direct_computation(df, table):
    for codec in ("dac-6kbps", "fsq-800", "q2d2-rhombic-1500"):
        for metric in ("pesq_wb", "stoi", "mel_distance"):
            sel = df[(df["codec"] == codec) & (df["metric"] == metric) & df["status"].isin(["ok", "warn"])]
            expect = bootstrap_ci(sel["value"].to_numpy(), n_resamples=N_RES, seed=3)
            row = _row(table, codec)
            assert row[f"{metric}.mean"] == pytest.approx(np.mean(sel["value"]))
            assert (row[f"{metric}.lo"], row[f"{metric}.hi"]) == pytest.approx((expect.lo, expect.hi))
            assert row[f"{metric}.n"] == len(sel)


def test_status_counts_and_reasons(table):
    fsq = _row(table, "fsq-800")
    assert (fsq["pesq_wb.n"], fsq["pesq_wb.n_invalid"], fsq["pesq_wb.n_rows"]) == (7, 1, 8)
    assert "silent" in fsq["pesq_wb.why_invalid"]
    q2 = _row(table, "q2d2-rhombic-1500")
    assert (q2["stoi.n"], q2["stoi.n_error"]) == (7, 1)
    dac = _row(table, "dac-6kbps")
    assert (dac["stoi.n"], dac["stoi.n_warn"]) == (8, 1)  # warnings are scored
    assert (table["utmos.n"] == 0).all() and (table["utmos.n_unavailable"] == 8).all()


def test_token_statistics_and_operating_point_columns(table):
    pcm = _row(table, "pcm-16bit")
    assert pcm["codebook_size.mean"] == 65536 and pcm["codebook_size.kind"] == "token"
    assert pcm["utilization.mean"] == pytest.approx(0.41)
    assert pcm["bitrate_kbps"] == 256 and pcm["token_rate"] == 16000 and pcm["is_reference"]
    assert list(table["codec"]) == ["pcm-16bit", "dac-6kbps", "fsq-800", "fsq-1500",
                                    "q2d2-rhombic-800", "q2d2-rhombic-1500"]
    assert list(table["group"]) == ["pcm", "dac", "fsq", "fsq", "q2d2-rhombic", "q2d2-rhombic"]


def test_grouping_strips_trailing_bitrate_only_for_trained():
    assert default_group("q2d2-rhombic-800", "trained") == "q2d2-rhombic"
    assert default_group("rvq-2000", "trained") == "rvq"
    assert default_group("fsq-1.5k", "trained") == "fsq"
    assert default_group("dac-16k-6kbps", "dac") == "dac"
    assert default_group("fsq-800-long", "trained") == "fsq-long"      # tier suffix kept
    assert default_group("q2d2-hex-2000-xlong", "trained") == "q2d2-hex-xlong"
    assert default_group("fsq-800-seed1", "trained") == "fsq-seed1"
    assert default_group("q2d2-hex-paperlv-long", "trained") == "q2d2-hex-paperlv-long"


def test_group_by_column_and_callable(df):
    ops = operating_points(df, group_by=lambda codec, family: family)
    assert set(ops["group"]) == {"pcm", "dac", "trained"}
    ops = operating_points(df, group_by="family")
    assert set(ops["group"]) == {"pcm", "dac", "trained"}
    with pytest.raises(ValueError, match="group_by column"):
        operating_points(df, group_by="nope")


def test_inconsistent_bitrate_is_an_error(df):
    bad = df.copy()
    bad.loc[bad.index[0], "bitrate"] = 1.0
    with pytest.raises(ValueError, match="not constant"):
        operating_points(bad)


def test_unknown_dataset_lists_known(df):
    with pytest.raises(ValueError, match="speech"):
        summary_table(df, dataset="musik")


def _md_rows(md: str) -> list[list[str]]:
    lines = [l for l in md.splitlines() if l.startswith("| ")]
    return [[c.strip() for c in re.split(r"(?<!\\)\|", l)[1:-1]] for l in lines]


def test_markdown_bold_best_honours_direction_and_skips_reference(table):
    md = to_markdown(table)
    rows = _md_rows(md)
    header = rows[0]
    col = {h.split(" [")[0].split(" ↑")[0].split(" ↓")[0]: i for i, h in enumerate(header)}
    by_codec = {r[0]: r for r in rows[2:]}
    # pcm (reference) has the best values but is never bold
    assert not any("**" in c for c in by_codec["pcm-16bit"])
    assert by_codec["dac-6kbps"][col["PESQ-WB (P.862.2)"]].startswith("**")
    assert by_codec["dac-6kbps"][col["Mel distance (log-mel L1)"]].startswith("**")  # lower is better
    assert sum("**" in r[col["Mel distance (log-mel L1)"]] for r in rows[2:]) == 1
    assert "Mel distance (log-mel L1) ↓" in header[col["Mel distance (log-mel L1)"]] and "↑" in header[col["STOI"]]


def test_direction_override_moves_the_bold(table):
    md = to_markdown(table, {"mel_distance": {"higher_is_better": True}})
    rows = {r[0]: r for r in _md_rows(md)[2:]}
    assert any(c.startswith("**") for c in rows["fsq-800"])  # worst mel distance is now "best"
    assert "↑" in _md_rows(md)[0][-1]


def test_markdown_unavailable_column_and_footnotes(table):
    md = to_markdown(table)
    rows = _md_rows(md)
    utmos = rows[0].index(next(h for h in rows[0] if h.startswith("UTMOS (UTMOS22 strong)")))
    assert all(r[utmos] == "n/a†" for r in rows[2:])
    notes = [l for l in md.splitlines() if l.startswith("- ")]
    assert notes[0] == (f"- † UTMOS (UTMOS22 strong): unavailable for 6 codec(s) (48 of 48 rows): {UTMOS_WHY}")
    assert any("‡ PESQ-WB (P.862.2): items not scorable" in n and "(1 of 8 rows)" in n for n in notes)
    assert any("failed with an error for 1 codec(s)" in n and "RuntimeError: boom" in n for n in notes)
    assert any("scored with warnings" in n for n in notes)
    fsq = next(r for r in rows if r[0] == "fsq-800")
    assert any(c.endswith("‡") for c in fsq)
    assert all(len(r) == len(rows[0]) for r in rows)


def test_missing_cell_is_marked_not_run(df):
    partial = df[~((df["codec"] == "dac-6kbps") & (df["metric"] == "stoi"))]
    md = to_markdown(summary_table(partial, n_resamples=N_RES))
    dac = next(r for r in _md_rows(md) if r[0] == "dac-6kbps")
    assert any(c.startswith("—") for c in dac)
    assert "STOI: not run for 1 codec(s)" in md


def test_single_item_and_pm_style(df):
    one = df[(df["item"] == "utt03") | (df["item"] == TOKEN_ITEM)]
    cells = [c for r in _md_rows(to_markdown(summary_table(one, n_resamples=N_RES), ci="pm"))
             for c in r]
    assert "4.64 (n=1)" in cells and not any("±" in c for c in cells)
    cells = [c for r in _md_rows(to_markdown(summary_table(df, n_resamples=N_RES), ci="pm"))[2:]
             for c in r]
    assert "0.000 ± 0.000" in cells and not any("[" in c for c in cells)
    with pytest.raises(ValueError, match="ci must be"):
        to_markdown(summary_table(df, n_resamples=N_RES), ci="box")


def test_latex_structure(table):
    tex = to_latex(table)
    for token in (r"\toprule", r"\midrule", r"\bottomrule", r"\begin{tabular}", r"\end{tabular}",
                  r"\caption{", r"\label{tab:bench-speech}", r"\textbf{", r"$\uparrow$", r"$\downarrow$"):
        assert token in tex, token
    assert tex.index(r"\toprule") < tex.index(r"\midrule") < tex.index(r"\bottomrule")
    body = tex[tex.index(r"\toprule"):tex.index(r"\bottomrule")]
    ncols = len(re.search(r"\\begin\{tabular\}\{([lr]+)\}", tex).group(1))
    rows = [l for l in body.splitlines() if l.endswith(r"\\")]
    assert all(len(re.findall(r"(?<!\\)&", l)) == ncols - 1 for l in rows)
    assert tex.count("{") == tex.count("}")
    assert r"n/a\textsuperscript{\dag}" in tex and r"utmos22\_strong" in tex
    assert "_" not in re.sub(r"\\_", "", body)  # codec names escaped
    assert "\u2020" not in tex and "\u2191" not in tex  # no raw unicode marks or arrows


def test_outputs_are_byte_stable(df):
    a = summary_table(df, n_resamples=N_RES, seed=1)
    b = summary_table(df.sample(frac=1.0, random_state=0), n_resamples=N_RES, seed=1)  # row order shuffled
    assert to_markdown(a) == to_markdown(b)
    assert to_latex(a) == to_latex(b)
    assert to_csv(a) == to_csv(b)


def test_csv_round_trip(table, tmp_path):
    path = tmp_path / "table.csv"
    text = to_csv(table, path)
    assert path.read_text() == text
    back = pd.read_csv(io.StringIO(text))
    assert list(back.columns) == list(table.columns)
    np.testing.assert_allclose(back["pesq_wb.mean"], table["pesq_wb.mean"], rtol=1e-9)


def test_from_results_file(tmp_path):
    path = tmp_path / "results.csv"
    write_results(synthetic_rows(n_items=5), path)
    table = summary_table(read_results(path), n_resamples=N_RES)
    assert (table["pesq_wb.n_rows"] == 5).all()
    assert "n/a†" in to_markdown(table)


def test_layout_rejects_unknown_metric(table):
    with pytest.raises(ValueError, match="not in the table"):
        layout_tables(table, metrics=["pesq_wb", "visqol"])
    lay = layout_tables(table, metrics=["stoi"], token_columns=())[0]
    assert [h.label for h in lay.headers] == ["Codec", "kbit/s", "tokens/s", "STOI"]


def test_formatting_helpers():
    assert [fmt_sig(x) for x in (0.8, 1.5, 12.375, 44100.0, 0.04213, 256.0)] == \
        ["0.8", "1.5", "12.4", "44100", "0.0421", "256"]
    assert fmt_fixed(-0.0001, 2) == "0.00" and fmt_fixed(2.5, 1) == "2.5"
    assert fmt_count(65536) == "2^16" and fmt_count(1000) == "1000" and fmt_count(512) == "512"
    assert [mark(i) for i in (0, 4, 5, 6)] == ["†", "‖", "††", "‡‡"]
    assert latex_escape("a_b & 50% ~/x — ok") == r"a\_b \& 50\% \textasciitilde{}/x --- ok"


def test_metric_info_overrides_and_specs():
    info = resolve_metric_info({"visqol": {"label": "ViSQOL", "higher_is_better": True}})
    assert info["visqol"].label == "ViSQOL" and info["pesq_wb"].higher_is_better
    with pytest.raises(ValueError, match="unknown key"):
        resolve_metric_info({"stoi": {"better": "up"}})

    class Spec:  # the fields of bench.metrics.base.MetricSpec that matter here
        outputs = ("dnsmos_ovrl", "newmos")
        higher_is_better, unit, family = True, "MOS", "NewMOS v2"

    over = from_metric_specs([Spec()])
    assert over["newmos"]["label"] == "newmos (NewMOS v2)"
    assert "label" not in over["dnsmos_ovrl"]  # the built-in label names the MOS already


def test_multi_stream_codebook_and_token_formatting(df):
    multi = df.copy()
    multi.loc[multi["codec"] == "dac-6kbps", "frame_rate"] = 50.0  # 600 tokens/s = 12 streams
    table = summary_table(multi, n_resamples=N_RES)
    dac = next(r for r in _md_rows(to_markdown(table)) if r[0] == "dac-6kbps")
    assert dac[3:5] == ["12×2^10", "0.97"]
    assert r"$12 \times 2^{10}$" in to_latex(table)
