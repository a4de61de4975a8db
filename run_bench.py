#!/usr/bin/env python3
"""Entry point: `python run_bench.py --help`. All logic lives in bench.cli."""
import sys

from bench.cli import main

if __name__ == "__main__":
    sys.exit(main())
