"""Timestamps as CRMs and spreadsheets write them, read into UTC in one vectorised pass.

Accepted: Unix seconds or milliseconds (numbers or digit strings), ISO 8601 with an
offset or `Z` (Bitrix24 writes `2024-03-01T12:00:00+03:00`), and zone-less forms: ISO
with `T` or a space, with or without seconds and fractions, `DD.MM.YYYY HH:MM[:SS]`
(Russian Excel), bare dates. A zone-less time means local time in `tz` (UTC unless
`--tz` says otherwise): the caller counts those as `naive_timestamps`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

__all__ = ["ParsedTimes", "parse_timestamps", "from_epoch_seconds"]

_OFFSET_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f%z",
                   "%Y-%m-%dT%H:%M%z", "%Y-%m-%d %H:%M%z")
_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M",
                  "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%Y-%m-%d",
                  "%d.%m.%Y", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d")
UTC = pl.Datetime("us", "UTC")


@dataclass
class ParsedTimes:
    ts: pl.Series
    """UTC datetimes; null where the text could not be read."""
    naive: pl.Series
    """True where the text carried no zone and `tz` was assumed."""


def from_epoch_seconds(values: pl.Series) -> pl.Series:
    """Unix times (seconds; values above 1e11 are taken as milliseconds) → UTC."""
    v = values.cast(pl.Float64)
    us = pl.select(pl.when(v.abs() > 1e11).then(v * 1e3).otherwise(v * 1e6)
                   .round(0).cast(pl.Int64)).to_series()
    return pl.select(pl.from_epoch(us, time_unit="us").dt.replace_time_zone("UTC")).to_series()


def parse_timestamps(values: pl.Series, tz: str = "UTC") -> ParsedTimes:
    if values.dtype.is_numeric():
        ts = from_epoch_seconds(values)
        return ParsedTimes(ts.alias("ts"), pl.Series("naive", [False] * len(values)))
    s = values.cast(pl.Utf8).str.strip_chars()
    frame = pl.DataFrame({"s": s})
    text = pl.col("s").str.replace(r"(?i)z$", "+00:00").str.replace(
        r"([+-]\d\d)(\d\d)$", "$1:$2")
    has_offset = pl.col("s").str.contains(r"(?i)(?:[+-]\d\d:?\d\d|z)$") & pl.col("s").str.contains(
        r"[T ]\d")
    is_epoch = pl.col("s").str.contains(r"^-?\d{9,13}(?:\.\d+)?$")
    with_offset = pl.coalesce([text.str.to_datetime(f, time_unit="us", time_zone="UTC",
                                                    strict=False)
                               for f in _OFFSET_FORMATS])
    naive = pl.coalesce([pl.col("s").str.to_datetime(f, time_unit="us", strict=False)
                         for f in _NAIVE_FORMATS])
    out = frame.select(
        offset=pl.when(has_offset).then(with_offset),
        naive=pl.when(~has_offset & ~is_epoch).then(naive),
        epoch=pl.when(is_epoch).then(pl.col("s").cast(pl.Float64, strict=False)),
    )
    local = out.get_column("naive").dt.replace_time_zone(
        tz, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    epoch = from_epoch_seconds(out.get_column("epoch"))
    ts = pl.select(pl.coalesce([out.get_column("offset"), local, epoch])).to_series()
    return ParsedTimes(ts.alias("ts"), out.get_column("naive").is_not_null().alias("naive"))
