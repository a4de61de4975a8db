"""Operating points, their families ("groups") and a stable order.

A codec definition in the results is one operating point (e.g. "dac-16k-6kbps",
"fsq-800"). Rate-distortion curves and matched-bitrate comparisons group
operating points into lines: by default the `family` column, except for
trained quantizer codecs, whose group is the codec name without its trailing
"-<bitrate>" ("q2d2-rhombic-800" -> "q2d2-rhombic"), because every trained
quantizer is its own family. A tier suffix after the rate stays:
"fsq-800-long" -> "fsq-long" (the same family trained longer is its own line).
"""
from __future__ import annotations

import math
import re
from typing import Callable, Union

import pandas as pd

GroupBy = Union[None, str, Callable[[str, str], str]]
REFERENCE_FAMILIES = ("pcm", "mulaw")  # uncompressed-ish anchors, listed first, never "best"
# "-<rate>" at the end or before lowercase tier suffixes ("-long", "-seed1", "-xlong")
TRAILING_RATE = re.compile(r"-(?P<rate>\d+(?:\.\d+)?)(?:k|kbps|bps)?(?P<tier>(?:-[a-z][a-z0-9]*)*)$")


def default_group(codec: str, family: str) -> str:
    """Family, or for family "trained" the codec name minus its "-<bitrate>" (tier suffix kept)."""
    if family == "trained":
        stripped = TRAILING_RATE.sub(r"\g<tier>", codec)
        return stripped or codec
    return family


def _one_value(values: pd.Series, codec: str, column: str):
    distinct = values.dropna().unique()
    if len(distinct) > 1:
        raise ValueError(f"codec {codec!r}: column {column!r} is not constant across rows: "
                         f"{sorted(distinct.tolist())}")
    return distinct[0] if len(distinct) else math.nan


def operating_points(df: pd.DataFrame, group_by: GroupBy = None,
                     reference_families: tuple[str, ...] = REFERENCE_FAMILIES) -> pd.DataFrame:
    """One row per codec: family, group, bitrate_kbps, token_rate, frame_rate, is_reference.

    Rows are in report order: reference families first (in the order given),
    then groups alphabetically, then bitrate, then codec name.

    Args:
        df: tidy results.
        group_by: None (default_group), a column name of `df` constant per
            codec, or a function (codec, family) -> group.
        reference_families: families listed first and never marked best.

    Raises:
        ValueError: a codec has several families, bitrates or groups.
    """
    if group_by is not None and not callable(group_by) and group_by not in df.columns:
        raise ValueError(f"group_by column {group_by!r} not in results columns {list(df.columns)}")
    records = []
    for codec, rows in df.groupby("codec", sort=True):
        family = _one_value(rows["family"], codec, "family")
        if group_by is None:
            group = default_group(codec, family)
        elif callable(group_by):
            group = group_by(codec, family)
        else:
            group = _one_value(rows[group_by], codec, group_by)
        bitrate = float(_one_value(rows["bitrate"], codec, "bitrate"))
        records.append(dict(
            codec=codec, family=family, group=str(group), bitrate_kbps=bitrate / 1000.0,
            token_rate=float(_one_value(rows["token_rate"], codec, "token_rate")),
            frame_rate=float(_one_value(rows["frame_rate"], codec, "frame_rate")),
            is_reference=family in reference_families))
    ops = pd.DataFrame(records, columns=["codec", "family", "group", "bitrate_kbps", "token_rate",
                                         "frame_rate", "is_reference"])
    ref_rank = {f: i for i, f in enumerate(reference_families)}
    ops["_ref"] = [ref_rank.get(f, len(ref_rank)) for f in ops["family"]]
    ops = ops.sort_values(["_ref", "group", "bitrate_kbps", "codec"], kind="stable")
    return ops.drop(columns="_ref").reset_index(drop=True)
