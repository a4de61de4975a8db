"""`run_bench.py robustness`: bit-flip channel sweep and code-locality probes of a suite.

Writes ``<out>/robustness/<suite>[-<tag>]/`` (channel.csv, locality.csv, summaries,
plots/, report.md, plan.json); the shared cache is ``<out>/robustness/cache``.
Interrupt and re-run the same command to resume.
"""
from __future__ import annotations

import argparse
from pathlib import Path

from bench.config import ConfigError

DEFAULT_MAX_ITEMS = 5


def _floats(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"expected comma-separated numbers, got {text!r}") from None


def _ints(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise ConfigError(f"expected comma-separated integers, got {text!r}") from None


def _names(text: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in text.split(",") if v.strip())


def expand_codecs(entries: tuple[str, ...]) -> tuple[str, ...]:
    """Codec names, with shell-style patterns ("*-800", "q2d2-*") expanded over the catalog.

    Raises:
        ConfigError: a pattern matches no codec definition.
    """
    import fnmatch
    from bench.codecs import load_codec_specs
    if not any(ch in e for e in entries for ch in "*?["):
        return entries
    known = sorted(s.name for s in load_codec_specs())
    out: list[str] = []
    for entry in entries:
        if any(ch in entry for ch in "*?["):
            hits = fnmatch.filter(known, entry)
            if not hits:
                raise ConfigError(f"--codecs pattern {entry!r} matches no codec; known: {', '.join(known)}")
            out += hits
        else:
            out.append(entry)
    return tuple(dict.fromkeys(out))


def add_parser(subparsers) -> None:
    from bench.cli import _add_run_args
    from bench.robustness.channel import DEFAULT_PS
    from bench.robustness.locality import NOISE_SNRS_DB
    from bench.robustness.packing import RULES, SCHEMES
    from bench.robustness.run import DEFAULT_METRICS
    p = subparsers.add_parser("robustness", help="bit flips on packed codes and code locality; "
                              "writes reports/robustness/<suite>/")
    _add_run_args(p)
    p.set_defaults(max_items=DEFAULT_MAX_ITEMS)
    p.add_argument("--p", default=",".join(f"{v:g}" for v in DEFAULT_PS),
                   help="comma-separated bit flip probabilities (default %(default)s)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated channel seeds (default %(default)s)")
    p.add_argument("--packings", default="", help=f"comma-separated subset of {', '.join(SCHEMES)} "
                   "(default: every scheme that applies to each codec)")
    p.add_argument("--rule", default="clamp", choices=RULES, help="out-of-range codeword rule")
    p.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                   help="comma-separated metrics (default %(default)s; unavailable ones are reported)")
    p.add_argument("--codecs", default="", help="extra codecs to add to the suite's, comma-separated; "
                   "shell patterns such as '*-800' expand over the codec catalog")
    p.add_argument("--snr", default=",".join(f"{v:g}" for v in NOISE_SNRS_DB),
                   help="noise SNRs (dB) of the locality probe (default %(default)s)")
    p.add_argument("--no-locality", action="store_true", help="skip the locality probes")
    p.add_argument("--no-codespace", action="store_true",
                   help="skip the code-space study of the shipped quantizer configs")
    p.add_argument("--tag", default="", help="write to <out>/robustness/<suite>-<tag>/ (a second sweep "
                   "of the same suite, e.g. an expensive metric on fewer seeds)")
    p.set_defaults(func=cmd_robustness)


def cmd_robustness(args: argparse.Namespace) -> int:
    from bench.cli import _run_options
    from bench.robustness.experiment import ChannelConfig
    from bench.robustness.packing import SCHEMES
    from bench.robustness.run import RobustnessOptions, run_robustness
    from bench.runner import load_suite
    ps = _floats(args.p)
    if not ps or any(not 0.0 <= v <= 0.5 for v in ps):
        raise ConfigError(f"--p values must lie in [0, 0.5], got {args.p!r}")
    seeds = _ints(args.seeds)
    if not seeds:
        raise ConfigError("--seeds needs at least one seed")
    schemes = _names(args.packings)
    bad = [s for s in schemes if s not in SCHEMES]
    if bad:
        raise ConfigError(f"unknown packing(s) {bad}; allowed: {', '.join(SCHEMES)}")
    suite = load_suite(args.suite)
    ropts = RobustnessOptions(
        channel=ChannelConfig(ps=tuple(sorted(set(ps))), seeds=seeds, schemes=schemes, rule=args.rule),
        metrics=_names(args.metrics), snrs_db=_floats(args.snr), locality=not args.no_locality,
        extra_codecs=expand_codecs(_names(args.codecs)),
        codespace_folder=None if args.no_codespace else RobustnessOptions.codespace_folder)
    root = Path(args.out) / "robustness"
    name = Path(args.suite).stem + (f"-{args.tag}" if args.tag else "")
    summary = run_robustness(suite, _run_options(args), ropts, root / name, root / "cache")
    print(f"{summary.channel_rows} channel rows, {summary.locality_rows} locality rows "
          f"in {summary.seconds:.1f} s")
    for path in summary.files:
        print(f"  {path}")
    return 0
