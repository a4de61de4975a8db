"""Paper-style reports from tidy results: tables, comparisons, plots.

Entry points (the CLI calls the first two):
- `write_report(results_csv, out_dir, extra=None, seed=0)`: table.md/.tex/.csv,
  plots/, report.md.
- `compare_report(results_csv, out_dir, targets_kbps, reference=None, seed=0)`:
  compare.md/.csv.
- Building blocks: `tables.summary_table`, `tables.to_markdown`,
  `tables.to_latex`, `tables.to_csv`, `compare.matched_bitrate`,
  `compare.compare_markdown`, and the functions of `plots`.
"""
from bench.reports.report import EXTRA_KEYS, compare_report, write_report

__all__ = ["EXTRA_KEYS", "compare_report", "write_report"]
