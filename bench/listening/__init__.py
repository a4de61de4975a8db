"""Static HTML listening report: sortable table, plots and a listening grid.

`write_listening_page(suite_dir)` writes `<suite_dir>/index.html`; see `page`.
Imported lazily so that `run_bench.py --help` does not load pandas and Jinja2.
"""
from __future__ import annotations

from typing import Any

__all__ = ["write_listening_page"]


def __getattr__(name: str) -> Any:
    if name == "write_listening_page":
        from bench.listening.page import write_listening_page
        return write_listening_page
    raise AttributeError(f"module 'bench.listening' has no attribute {name!r}")
