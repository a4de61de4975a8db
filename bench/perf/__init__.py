"""Benchmarks of the harness itself (`run_bench.py perf`).

Every figure is a ratio measured within one run on one machine, printed with
its target and whether it was met, and written with provenance to
`reports/perf/`. Nothing here is a timed unit test.
"""
