"""Content-addressed cache of finished work, safe against kills.

Entries are keyed by content hashes (audio sha256, codec config and weights
hashes, metric name and version), so a re-run, or a run with one more codec or
metric, computes only what is new. Every entry is written to a temporary file
and renamed into place, so a run killed at any instant leaves either a whole
entry or none. JSON entries carry a checksum of their payload; a corrupted entry
is detected, reported and recomputed.
"""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np


def content_hash(*parts: Any) -> str:
    """sha256 over a canonical JSON encoding of `parts`."""
    blob = json.dumps(parts, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class Cache:
    """A folder of JSON and array entries addressed by hex keys."""

    def __init__(self, root: str | Path):
        self.root = Path(root)

    def _path(self, key: str, suffix: str) -> Path:
        return self.root / key[:2] / f"{key}{suffix}"

    def get_json(self, key: str) -> Any | None:
        """The payload stored under `key`, or None if absent or corrupted."""
        path = self._path(key, ".json")
        try:
            envelope = json.loads(path.read_text())
            payload = envelope["payload"]
            if envelope["sha256"] != content_hash(payload):
                raise ValueError("checksum mismatch")
            return payload
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            warnings.warn(f"cache entry {path} is corrupted ({exc}); recomputing", stacklevel=2)
            path.unlink(missing_ok=True)
            return None

    def put_json(self, key: str, payload: Any) -> None:
        body = json.dumps({"sha256": content_hash(payload), "payload": payload}, sort_keys=True)
        _atomic_write(self._path(key, ".json"), body.encode())

    def has_json(self, key: str) -> bool:
        return self._path(key, ".json").is_file()

    def get_arrays(self, key: str) -> dict[str, np.ndarray] | None:
        """Arrays stored under `key` (npz), or None if absent or unreadable."""
        path = self._path(key, ".npz")
        if not path.is_file():
            return None
        try:
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except Exception as exc:  # zipfile/ValueError/OSError on a truncated file
            warnings.warn(f"cache entry {path} is corrupted ({exc}); recomputing", stacklevel=2)
            path.unlink(missing_ok=True)
            return None

    def put_arrays(self, key: str, **arrays: np.ndarray) -> None:
        import io
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        _atomic_write(self._path(key, ".npz"), buf.getvalue())

    def arrays_path(self, key: str) -> Path:
        return self._path(key, ".npz")
