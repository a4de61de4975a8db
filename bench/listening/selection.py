"""Which items the listening grid plays.

A listening grid is for ears, not statistics: a handful of items, chosen so a
reader hears speech from different speakers, one piece of music and one noise
recording. The choice is explicit: the suite's `listen:` list or the CLI's
`--items`, else `default_items`, which follows a fixed rule on the items
present in the results (so the same results always give the same page).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

from bench.config import ConfigError

N_SPEECH = 3
# Bundled items of the "general" dataset by kind, in order of preference
# (data/README.md); the first one present in the results is used.
GENERAL_KINDS: dict[str, tuple[str, ...]] = {
    "music": ("hungarian_dance_5_brahms", "vibe_ace_kevin_macleod", "sugar_plum_fairy_kevin_macleod",
              "lets_go_fishin_karissa_hobbs", "solo_trumpet_sorohanro"),
    "noise": ("doing_the_dishes", "exercise_bike"),
}


@dataclass(frozen=True)
class ItemRef:
    """One listening-grid row.

    Attributes:
        dataset: dataset name as in the results.
        item: item id as in the results.
        kind: "speech", "music", "noise" or "" when not known (user choice).
    """

    dataset: str
    item: str
    kind: str = ""

    @property
    def label(self) -> str:
        return f"{self.dataset}/{self.item}"


def _kind_of(dataset: str, item: str) -> str:
    if dataset == "general":
        return next((k for k, names in GENERAL_KINDS.items() if item in names), "")
    return "speech"


def parse_items(requested: Sequence[str], available: Mapping[str, Sequence[str]]) -> list[ItemRef]:
    """Resolve "dataset/item_id" (or a bare item id unique across datasets) strings.

    Args:
        requested: item references, in the order the grid shows them.
        available: dataset -> item ids present in the results.

    Raises:
        ConfigError: a reference names no item, or a bare id is ambiguous; the
            message lists what is available.
    """
    out: list[ItemRef] = []
    for ref in requested:
        dataset, _, item = ref.partition("/")
        if item and dataset in available and item in available[dataset]:
            hits = [(dataset, item)]
        else:
            hits = [(ds, ref) for ds, items in available.items() if ref in items]
        if len(hits) != 1:
            known = ", ".join(f"{ds}/{i}" for ds, items in sorted(available.items()) for i in items[:5])
            why = "matches several datasets" if hits else "is not in the results"
            raise ConfigError(f"listening item {ref!r} {why}; give 'dataset/item_id', e.g. {known} ...")
        ref_obj = ItemRef(hits[0][0], hits[0][1], _kind_of(*hits[0]))
        if ref_obj not in out:
            out.append(ref_obj)
    return out


def _speaker(item: str) -> str:
    """LibriSpeech/LibriTTS ids start with the speaker id ("1688-142285-0004")."""
    return item.replace("_", "-").split("-")[0]


def default_items(available: Mapping[str, Sequence[str]], n_speech: int = N_SPEECH) -> list[ItemRef]:
    """A few speech items (distinct speakers first), one music and one noise item.

    Speech items come from every dataset except "general", taken round-robin
    over those datasets (so each is heard) in sorted item order, preferring a
    speaker not yet chosen; music and noise come from "general" by
    `GENERAL_KINDS` (its first item when neither kind is present).

    Args:
        available: dataset -> item ids present in the results.
        n_speech: number of speech items.
    """
    pools = {ds: sorted(items) for ds, items in sorted(available.items()) if ds != "general" and items}
    chosen: list[ItemRef] = []
    used: set[tuple[str, str]] = set()
    while len(chosen) < n_speech and any(pools.values()):
        for ds, pool in pools.items():
            if len(chosen) >= n_speech or not pool:
                continue
            item = next((i for i in pool if (ds, _speaker(i)) not in used), pool[0])
            pool.remove(item)
            used.add((ds, _speaker(item)))
            chosen.append(ItemRef(ds, item, "speech"))
    general = set(available.get("general", ()))
    for kind, names in GENERAL_KINDS.items():
        pick = next((n for n in names if n in general), None)
        if pick is not None:
            chosen.append(ItemRef("general", pick, kind))
    if general and not any(r.dataset == "general" for r in chosen):
        chosen.append(ItemRef("general", sorted(general)[0], ""))
    return chosen
