"""One generic name -> object registry with "did you mean" errors.

Codec families, codec definitions, quantizers, metrics and datasets all live in
`Registry` instances declared here, so every lookup fails the same way: a
`KeyError` subclass naming the kind, the unknown name, the closest known names
and the full list.
"""
from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

T = TypeVar("T")


class UnknownNameError(KeyError):
    """Raised when a name is not in a registry; the message lists suggestions."""

    def __init__(self, kind: str, name: str, known: list[str]):
        self.kind, self.name, self.known = kind, name, known
        close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(sorted(known)) or "(none registered)"
        super().__init__(f"unknown {kind} {name!r}.{hint} Known {kind}s: {listing}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class Registry(Generic[T]):
    """A mapping from names to objects of one kind (codec, metric, ...)."""

    def __init__(self, kind: str):
        self.kind = kind
        self._items: dict[str, T] = {}

    def add(self, name: str, obj: T, *, replace: bool = False) -> T:
        """Register `obj` under `name`; a duplicate name is an error unless `replace`."""
        if name in self._items and not replace and self._items[name] is not obj:
            raise ValueError(f"{self.kind} {name!r} is already registered")
        self._items[name] = obj
        return obj

    def register(self, name: str) -> Callable[[T], T]:
        """Decorator form of `add`."""
        return lambda obj: self.add(name, obj)

    def get(self, name: str) -> T:
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, list(self._items)) from None

    def names(self) -> list[str]:
        return sorted(self._items)

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._items)


CODEC_FAMILIES: Registry = Registry("codec family")   # family name -> adapter class
CODECS: Registry = Registry("codec")                   # codec name -> CodecSpec (from codecs/*.yaml)
QUANTIZERS: Registry = Registry("quantizer")           # quantizer name -> nn.Module class
METRICS: Registry = Registry("metric")                 # metric name -> Metric
DATASETS: Registry = Registry("dataset")               # dataset name -> DatasetSpec (from datasets.yaml)


_PLUGINS_LOADED: set[str] = set()


def load_plugins() -> None:
    """Import the modules named in `BENCH_PLUGINS` (comma-separated), once.

    A plugin module registers extra codec families, metrics or quantizers when
    imported, without editing this package; worker processes import it too,
    because they read the same environment.
    """
    import importlib
    import os
    for name in filter(None, (s.strip() for s in os.environ.get("BENCH_PLUGINS", "").split(","))):
        if name not in _PLUGINS_LOADED:
            importlib.import_module(name)
            _PLUGINS_LOADED.add(name)
