"""Provenance record written beside every results file."""
from __future__ import annotations

import datetime as _dt
import hashlib
import importlib.metadata as md
import json
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.paths import repo_root

PACKAGES = ("torch", "torchaudio", "numpy", "scipy", "pesq", "pystoi", "speechmos", "utmos-pytorch",
            "onnxruntime", "descript-audio-codec", "encodec", "soundfile", "soxr", "pandas",
            "matplotlib", "codec-quantizer-bench")


def package_versions() -> dict[str, str]:
    out = {}
    for name in PACKAGES:
        try:
            out[name] = md.version(name)
        except md.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state() -> dict[str, Any]:
    """Commit hash and whether the work tree had uncommitted changes."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=repo_root(), capture_output=True, text=True,
                              timeout=10).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", False
    return {"commit": commit or "unknown", "dirty": dirty}


def manifest_hash() -> str:
    path = repo_root() / "data" / "MANIFEST.sha256"
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "missing"


def cpu_model() -> str:
    """The processor's marketing name where Linux gives one (training wall times and
    timings depend on it), else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    import os
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2 ** 30
    except (ValueError, OSError):
        mem = float("nan")
    return {"platform": platform.platform(), "python": platform.python_version(),
            "processor": cpu_model(), "cpus": os.cpu_count(),
            "memory_gib": round(mem, 1)}


def build_provenance(**extra: Any) -> dict[str, Any]:
    """Versions, git state, data manifest hash, machine and date, plus `extra`."""
    record = {
        "date": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "git": git_state(),
        "packages": package_versions(),
        "data_manifest_sha256": manifest_hash(),
        "machine": machine(),
    }
    record.update(extra)
    return record


def write_provenance(path: str | Path, record: dict[str, Any]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, indent=2, sort_keys=True, default=str) + "\n")
    tmp.replace(path)
