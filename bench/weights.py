"""Finding, hashing and verifying checkpoint files; never downloading them.

One checkpoint is looked up in this order:

1. the environment variable named by the YAML ``weights.env`` (when set),
2. the YAML ``weights.path`` (relative paths are from the repository root),
3. the library's own cache locations, which the adapter passes in (for
   example ``~/.cache/descript/dac/weights_16khz_8kbps_0.0.5.pth``).

A file named explicitly (1 or 2) that does not exist is an error, not a reason
to fall through to a cache: the user asked for that file. When nothing is
found the `WeightsUnavailable` message lists every place the file may go and
how to fetch it on a machine with internet access; the benchmark itself never
downloads.

Every file used is hashed (sha256, recorded in provenance) and checked against
``weights.sha256`` when the YAML pins one, and against the publisher's hash
prefix when the file name carries one in the torch-hub convention
(``encodec_24khz-d7cc33bc.th``: the sha256 starts with ``d7cc33bc``).
"""
from __future__ import annotations

import hashlib
import os
import pickle
import re
from pathlib import Path
from typing import Any, Sequence

import torch

from bench.codec import WeightsUnavailable
from bench.config import WeightsSpec
from bench.paths import resolve

# torch.hub's convention: "<name>-<sha256 prefix>.<ext>"; at least 8 hex digits here.
_HASH_IN_NAME = re.compile(r"-([0-9a-f]{8,64})\.[A-Za-z0-9]+$")

_SHA_CACHE: dict[tuple[str, int, int], str] = {}


class ChecksumMismatch(ValueError):
    """A checkpoint's sha256 differs from the pinned or published one."""


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a file (cached per path, size and modification time)."""
    path = Path(path).resolve()
    st = path.stat()
    key = (str(path), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        _SHA_CACHE[key] = digest.hexdigest()
    return _SHA_CACHE[key]


def publisher_hash_prefix(path: str | Path) -> str | None:
    """The sha256 prefix embedded in a torch-hub style file name, or None."""
    match = _HASH_IN_NAME.search(Path(path).name)
    return match.group(1) if match else None


def verify_checksum(path: str | Path, expected: str | None = None) -> str:
    """Hash `path` and check it against `expected` and its file-name prefix.

    Args:
        path: checkpoint file.
        expected: full sha256 or a prefix of at least 8 hex digits (from the
            YAML), or None.

    Returns:
        The file's full hex sha256.

    Raises:
        ChecksumMismatch: naming the file, the expected and the actual hash.
    """
    actual = sha256_file(path)
    checks = []
    if expected:
        expected = expected.lower().strip()
        if not re.fullmatch(r"[0-9a-f]{8,64}", expected):
            raise ChecksumMismatch(f"{path}: pinned sha256 {expected!r} is not 8 to 64 hex digits")
        checks.append(("pinned in the codec YAML", expected))
    prefix = publisher_hash_prefix(path)
    if prefix:
        checks.append(("published in the file name", prefix))
    for origin, want in checks:
        if not actual.startswith(want):
            raise ChecksumMismatch(
                f"{path}: sha256 {actual} does not match {want} ({origin}); the file is "
                f"corrupt, truncated or a different checkpoint; fetch it again")
    return actual


def _where_to_put(spec: WeightsSpec | None, cache_paths: Sequence[Path], config_file: str) -> list[str]:
    ways = []
    if spec is not None and spec.env:
        ways.append(f"set {spec.env}=/path/to/checkpoint")
    if cache_paths:
        ways.append("put the file at " + " or ".join(str(p) for p in cache_paths))
    ways.append(f"set weights.path in {config_file or 'the codec YAML'}")
    return ways


def _unavailable(what: str, problem: str, spec: WeightsSpec | None,
                 cache_paths: Sequence[Path], fetch_hint: str, config_file: str) -> WeightsUnavailable:
    msg = (f"weights for {what} unavailable: {problem}. To use it, "
           + "; or ".join(_where_to_put(spec, cache_paths, config_file)) + ".")
    if fetch_hint:
        msg += f" To fetch the file on a machine with internet access: {fetch_hint}."
    return WeightsUnavailable(msg)


def resolve_weights(spec: WeightsSpec | None, default_cache_paths: Sequence[Path], what: str,
                    *, fetch_hint: str = "", config_file: str = "") -> Path:
    """Locate a checkpoint (env variable, YAML path, library cache), without downloading.

    Args:
        spec: the YAML ``weights`` entry (may be None).
        default_cache_paths: where the library itself caches the file, most
            likely first.
        what: human name for messages ("DAC 16 kHz (dac-16k-12q)").
        fetch_hint: how to get the file with the library's own tools.
        config_file: the YAML file, named in the message.

    Raises:
        WeightsUnavailable: with every place the file may go.
    """
    args = (spec, default_cache_paths, fetch_hint, config_file)
    if spec is not None and spec.env and os.environ.get(spec.env):
        path = resolve(os.environ[spec.env])
        if not path.is_file():
            raise _unavailable(what, f"{spec.env}={os.environ[spec.env]} is not a file", *args)
        return path
    if spec is not None and spec.path:
        path = resolve(spec.path)
        if not path.is_file():
            raise _unavailable(what, f"weights.path {spec.path} is not a file ({path})", *args)
        return path
    for path in default_cache_paths:
        if Path(path).is_file():
            return Path(path)
    raise _unavailable(what, "no checkpoint file found", *args)


def weights_status(spec: WeightsSpec | None, default_cache_paths: Sequence[Path], what: str,
                   *, fetch_hint: str = "", config_file: str = "") -> str:
    """One line for listings: "present: <path>" or "missing: <where to put it>".

    Neither hashes nor loads the file; the full message with the fetch hint
    comes from `resolve_weights` when the codec runs.
    """
    try:
        path = resolve_weights(spec, default_cache_paths, what, config_file=config_file)
    except WeightsUnavailable:
        return "missing: " + "; or ".join(_where_to_put(spec, default_cache_paths, config_file))
    return f"present: {path}"


def load_checkpoint(path: Path) -> tuple[Any, str | None]:
    """torch.load a checkpoint on the CPU, tensors-only when the file allows.

    Returns:
        (object, note): the note is None for a plain tensor file; when the file
        holds other Python objects it is loaded with ``weights_only=False``
        (as the publishing library itself does) and the note says so.

    Raises:
        ValueError: the file is not a torch checkpoint.
    """
    try:
        try:
            return torch.load(path, map_location="cpu", weights_only=True), None
        except pickle.UnpicklingError:
            obj = torch.load(path, map_location="cpu", weights_only=False)
            return obj, (f"{path.name} holds non-tensor Python objects and was loaded with "
                         f"weights_only=False; its sha256 is recorded")
    except Exception as exc:  # torch raises RuntimeError, UnpicklingError, EOFError...
        raise ValueError(f"{path}: not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
