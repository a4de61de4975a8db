"""Command line for training: ``run_bench.py train --config PATH [--steps N] [--device D]``.

`add_parser(subparsers)` mounts the ``train`` subcommand on the main CLI
(`bench.cli.EXTENSIONS`); `cli_train(argv)` is the standalone form
(``python -m bench.train.cli``). Torch is imported only when training runs.
"""
from __future__ import annotations

import argparse


def add_arguments(ap: argparse.ArgumentParser) -> argparse.ArgumentParser:
    ap.add_argument("--config", required=True, help="model YAML, e.g. codecs/trained/fsq-800.yaml")
    ap.add_argument("--steps", type=int, default=None, help="total steps (default: the config's)")
    ap.add_argument("--device", default=None, help="cpu, cuda, cuda:N or auto (default: BENCH_DEVICE or auto)")
    ap.add_argument("--out", default=None, help="run folder (default: runs/train/<name>)")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the config's)")
    ap.add_argument("--no-resume", action="store_true", help="start afresh even if the run folder has state.pt")
    ap.add_argument("--no-progress", action="store_true", help="no progress bar")
    return ap


def add_parser(subparsers) -> None:
    p = subparsers.add_parser("train", help="train one codec config (resumes from its last checkpoint)")
    add_arguments(p).set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bench.train.loop import train
    ckpt = train(args.config, out_dir=args.out, steps=args.steps, device=args.device,
                 resume=not args.no_resume, threads=args.threads, progress=not args.no_progress)
    print(f"checkpoint: {ckpt}\nmodel card: {ckpt.with_suffix('.json')}")
    return 0


def cli_train(argv: list[str] | None = None) -> int:
    """Parse `argv` (default sys.argv[1:]) and train."""
    ap = add_arguments(argparse.ArgumentParser(prog="run_bench.py train", description=__doc__))
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(cli_train())
