"""Reliability data: units × coders with missing values, stored long and encoded.

Every coefficient in this package is computed from integer codes (unit, coder, category)
so that the work is a handful of vectorised passes whatever the labels look like.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from annotate.agreement.bootstrap import count_pattern_key


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


@dataclass(frozen=True, eq=False)
class ReliabilityData:
    """Reliability data kept as three aligned code arrays (one entry per non-missing value).

    `categories` is the ordered value domain: the caller's levels for an ordinal scale,
    otherwise the sorted observed values. Memory is proportional to the number of values.
    """

    unit_ids: np.ndarray
    coder_ids: np.ndarray
    categories: tuple[Any, ...]
    unit: np.ndarray
    coder: np.ndarray
    value: np.ndarray
    ordered: bool = False
    dropped_values: tuple[Any, ...] = ()
    n_dropped: int = 0
    # Position of each value's record in the caller's input, so per-record flags (e.g.
    # "a suggestion was shown") can follow the values without a join.
    record: np.ndarray | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_long(
        cls,
        units: Sequence[Hashable] | np.ndarray | pd.Series,
        coders: Sequence[Hashable] | np.ndarray | pd.Series,
        values: Sequence[Any] | np.ndarray | pd.Series,
        *,
        levels: Sequence[Any] | None = None,
    ) -> ReliabilityData:
        """Build from one record per (unit, coder); None/NaN values are missing.

        With `levels`, the categories are those levels in that order and any other value
        (e.g. the Admiralty "cannot be judged" grades) is treated as missing.
        """
        units_s = pd.Series(np.asarray(units, dtype=object) if isinstance(units, list) else units)
        coders_s = pd.Series(
            np.asarray(coders, dtype=object) if isinstance(coders, list) else coders
        )
        values_s = pd.Series(
            np.asarray(values, dtype=object) if isinstance(values, list) else values
        )
        if not len(units_s) == len(coders_s) == len(values_s):
            raise ValueError(
                f"units, coders and values differ in length: "
                f"{len(units_s)}, {len(coders_s)}, {len(values_s)}"
            )
        for name, series in (("units", units_s), ("coders", coders_s)):
            if series.isna().any():
                row = int(np.flatnonzero(series.isna().to_numpy())[0])
                raise ValueError(f"{name}: missing id at record {row}")
        unit_code, unit_ids = _factorize_sorted(units_s.reset_index(drop=True))
        coder_code, coder_ids = pd.factorize(coders_s.reset_index(drop=True), sort=True)
        coder_ids = np.asarray(coder_ids, dtype=object)
        values_s = values_s.reset_index(drop=True)
        missing = values_s.isna().to_numpy()
        if levels is not None:
            levels = tuple(levels)
            if len(set(levels)) != len(levels):
                raise ValueError(f"levels contain duplicates: {list(levels)}")
            keep = np.flatnonzero(~missing)
            present = (values_s[~missing] if len(keep) < len(values_s) else values_s).to_numpy()
            codes = pd.Index(levels).get_indexer(present).astype(np.int64, copy=False)
            outside = codes < 0
            dropped = tuple(sorted({_shown(v) for v in present[outside]}))
            if outside.any():
                keep, value_code = keep[~outside], codes[~outside]
            else:
                value_code = codes
            categories: tuple[Any, ...] = levels
            n_dropped = int(outside.sum())
        else:
            keep = np.flatnonzero(~missing)
            try:
                # Whole-column factorize: categorical columns keep their codes (no strings
                # are materialised), and missing values come back as -1.
                codes, uniques = pd.factorize(values_s, sort=True)
                if isinstance(values_s.dtype, pd.CategoricalDtype):
                    # A categorical sorts by its own category order: sort by value instead.
                    order = np.argsort(np.asarray(uniques, dtype=object), kind="stable")
                    rank = np.empty(len(order), dtype=np.int64)
                    rank[order] = np.arange(len(order))
                    codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
                    uniques = uniques[order]
            except TypeError as exc:
                raise ValueError(f"values cannot be ordered (mixed types?): {exc}") from exc
            value_code = np.asarray(codes, dtype=np.int64)
            if len(keep) < len(value_code):
                value_code = value_code[keep]
            uniques = np.asarray(uniques, dtype=None if _is_numeric(uniques) else object)
            if uniques.dtype.kind == "f" and np.all(np.mod(uniques, 1) == 0):
                # Whole numbers stored as floats (a column with NaN): keep them as ints.
                uniques = uniques.astype(np.int64)
            categories = tuple(_plain(v) for v in uniques)
            dropped, n_dropped = (), 0
        # Millions of records: every array below is one more pass over fresh memory, so
        # nothing is copied that need not be (no selection when no value is missing).
        unit_arr = np.asarray(unit_code, dtype=np.int64)
        coder_arr = np.asarray(coder_code, dtype=np.int64)
        if len(keep) < len(values_s):
            unit_arr, coder_arr = unit_arr[keep], coder_arr[keep]
        by_unit, pairs = _by_unit_and_coder(unit_arr, coder_arr, len(coder_ids))
        if by_unit is not None and pairs is not None:
            repeats = np.flatnonzero(pairs[1:] == pairs[:-1])
            del pairs
            if len(repeats):
                dup = by_unit[repeats[0] : repeats[0] + 2]
                raise ValueError(
                    f"unit {unit_ids[unit_arr[dup[0]]]!r}, coder "
                    f"{coder_ids[coder_arr[dup[0]]]!r} has more than one value "
                    f"(records {int(keep[dup[0]])} and {int(keep[dup[1]])})"
                )
        return cls(
            unit_ids=_id_array(unit_ids),
            coder_ids=np.asarray(coder_ids, dtype=object),
            categories=categories,
            unit=unit_arr,
            coder=coder_arr,
            value=value_code,
            ordered=levels is not None,
            dropped_values=dropped,
            n_dropped=n_dropped,
            record=keep.astype(np.int64, copy=False),
            _cache={"by_unit": by_unit},
        )

    @classmethod
    def from_matrix(
        cls, matrix: Any, *, levels: Sequence[Any] | None = None, coders_in_rows: bool = False
    ) -> ReliabilityData:
        """Build from a units × coders table (or coders × units with `coders_in_rows`)."""
        array = np.asarray(matrix)
        if array.dtype.kind not in "fiub":
            array = np.asarray(matrix, dtype=object)
        if array.ndim != 2:
            raise ValueError(f"expected a 2-D table, got shape {array.shape}")
        if coders_in_rows:
            array = array.T
        n_units, n_coders = array.shape
        if array.dtype.kind in "fiu" and levels is None:
            return cls._from_numeric(array.astype(np.float64, copy=False))
        return cls.from_long(
            np.repeat(np.arange(n_units), n_coders),
            np.tile(np.arange(n_coders), n_units),
            array.ravel(),
            levels=levels,
        )

    @classmethod
    def _from_numeric(cls, array: np.ndarray) -> ReliabilityData:
        """Numeric matrix fast path: no hashing when the values are small whole numbers."""
        n_units, n_coders = array.shape
        flat = np.ascontiguousarray(array).ravel()
        index = np.flatnonzero(~np.isnan(flat))
        unit, coder = np.divmod(index, max(n_coders, 1))
        values = flat[index]
        low = values.min() if len(values) else 0.0
        span = values.max() - low if len(values) else 0.0
        shifted = values - low
        offset = shifted.astype(np.int64)
        if span < 1_000_000 and np.array_equal(offset, shifted):
            used = np.flatnonzero(np.bincount(offset, minlength=int(span) + 1))
            remap = np.full(int(span) + 1, -1, dtype=np.int64)
            remap[used] = np.arange(len(used))
            codes = remap[offset]
            categories: tuple[float, ...] = tuple(int(v + low) for v in used)
        else:
            codes, uniques = pd.factorize(values, sort=True)
            categories = tuple(float(v) for v in uniques)
        return cls(
            unit_ids=np.arange(n_units),
            coder_ids=np.arange(n_coders),
            categories=categories,
            unit=unit.astype(np.int64, copy=False),
            coder=coder.astype(np.int64, copy=False),
            value=np.asarray(codes, dtype=np.int64),
        )

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_coders(self) -> int:
        return len(self.coder_ids)

    @property
    def n_categories(self) -> int:
        return len(self.categories)

    @property
    def n_values(self) -> int:
        return len(self.value)

    def counts(self) -> np.ndarray:
        """Units × categories matrix: how many coders gave each value to each unit."""
        if "counts" not in self._cache:
            q = self.n_categories
            flat = np.bincount(self.unit * q + self.value, minlength=self.n_units * q)
            self._cache["counts"] = flat.reshape(self.n_units, q).astype(np.float64)
        return self._cache["counts"]

    def values_per_unit(self) -> np.ndarray:
        """How many values each unit holds (float, for the arithmetic that follows)."""
        if "per_unit" not in self._cache:
            per_unit = np.bincount(self.unit, minlength=self.n_units)
            self._cache["per_unit"] = per_unit.astype(np.float64)
        return self._cache["per_unit"]

    def patterns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The distinct count vectors of the units holding a value, in a fixed order
        (patterns × categories), how many units hold each, and each unit's pattern
        (-1 for a unit without values). Every coefficient is a sum over units of a function
        of the count vector, so it is computed once per pattern."""
        if "patterns" not in self._cache:
            per_unit = self.values_per_unit()
            rated = np.flatnonzero(per_unit >= 1)
            q = self.n_categories
            base = int(per_unit.max()) + 1 if len(per_unit) else 1
            if q * math.log2(base) < 52:
                # A unit's count vector as one number in base (most values + 1), summed
                # straight from the values (exact in float64 below 2**53): no units ×
                # categories matrix is built.
                place = (base ** np.arange(q, dtype=np.int64)).astype(np.float64)
                weights = place[self.value]
                unit_key = np.bincount(self.unit, weights=weights, minlength=self.n_units)
                key = unit_key[rated].astype(np.int64)
            else:
                key = count_pattern_key(self.counts()[rated])
            # Hash the keys (linear), then order the few distinct ones by key value so the
            # patterns, and hence the bootstrap draws, do not depend on the units' order.
            codes, keys = pd.factorize(key)
            rank = np.empty(len(keys), dtype=np.int64)
            rank[np.argsort(keys, kind="stable")] = np.arange(len(keys))
            inverse = rank[codes]
            first = np.empty(len(keys), dtype=np.int64)
            first[inverse] = np.arange(len(inverse))
            unit_pattern = np.full(self.n_units, -1, dtype=np.int64)
            unit_pattern[rated] = inverse
            # One write of all three: a reader in another thread sees all or nothing.
            self._cache["patterns"] = (
                self._count_rows(rated[first]),
                np.bincount(inverse, minlength=len(keys)),
                unit_pattern,
            )
        patterns, pattern_units, unit_pattern = self._cache["patterns"]
        return patterns, pattern_units, unit_pattern

    def _count_rows(self, units: np.ndarray) -> np.ndarray:
        """The count vectors of a few units (len(units) × categories)."""
        if "counts" in self._cache:
            return self._cache["counts"][units]
        q = self.n_categories
        position = np.full(self.n_units, -1, dtype=np.int64)
        position[units] = np.arange(len(units))
        row = position[self.unit]
        mine = row >= 0
        flat = np.bincount(row[mine] * q + self.value[mine], minlength=len(units) * q)
        return flat.reshape(len(units), q).astype(np.float64)

    def pair_tables(self) -> np.ndarray:
        """Confusion counts of every ordered coder pair a < b over the units both
        labelled (coders × coders × categories × categories; zero where a >= b), in one
        pass over the values whatever the number of pairs."""
        if "pair_tables" not in self._cache:
            n_c, q = self.n_coders, self.n_categories
            if "by_unit" in self._cache:
                order = self._cache["by_unit"]
            else:
                order, _ = _by_unit_and_coder(self.unit, self.coder, n_c)
            unit, coder, value = self.unit, self.coder, self.value
            if order is not None:
                unit, coder, value = unit[order], coder[order], value[order]
            per_unit = np.bincount(unit) if len(unit) else np.zeros(0, dtype=np.int64)
            flat = np.zeros(n_c * n_c * q * q, dtype=np.int64)
            # Within a unit the values are in coder order: pairing each value with the one
            # d places on, for every d below the largest number of values per unit, visits
            # every pair of the unit exactly once with a < b.
            for d in range(1, int(per_unit.max()) if len(per_unit) else 0):
                same = unit[:-d] == unit[d:]
                a, b = coder[:-d][same], coder[d:][same]
                cell = ((a * n_c + b) * q + value[:-d][same]) * q + value[d:][same]
                flat += np.bincount(cell, minlength=len(flat))
            self._cache["pair_tables"] = flat.reshape(n_c, n_c, q, q)
        return self._cache["pair_tables"]

    def matrix(self) -> np.ndarray:
        """Units × coders matrix of category codes, -1 where missing."""
        if "matrix" not in self._cache:
            out = np.full((self.n_units, self.n_coders), -1, dtype=np.int64)
            out[self.unit, self.coder] = self.value
            self._cache["matrix"] = out
        return self._cache["matrix"]

    def numeric_values(self) -> np.ndarray:
        """Numeric position of each category: its value when numeric, else its rank + 1."""
        try:
            return np.asarray([float(c) for c in self.categories], dtype=np.float64)
        except (TypeError, ValueError):
            return np.arange(1, self.n_categories + 1, dtype=np.float64)

    def subset(self, mask: np.ndarray) -> ReliabilityData:
        """Keep the values selected by `mask` (aligned with the value arrays)."""
        return ReliabilityData(
            unit_ids=self.unit_ids,
            coder_ids=self.coder_ids,
            categories=self.categories,
            unit=self.unit[mask],
            coder=self.coder[mask],
            value=self.value[mask],
            ordered=self.ordered,
            dropped_values=self.dropped_values,
            n_dropped=self.n_dropped,
            record=None if self.record is None else self.record[mask],
        )

    def without_coder(self, coder_index: int) -> ReliabilityData:
        return self.subset(self.coder != coder_index)

    def coder_index(self, coder: Hashable) -> int:
        hits = np.flatnonzero(self.coder_ids == coder)
        if not len(hits):
            raise ValueError(f"unknown coder {coder!r}; known: {list(self.coder_ids)}")
        return int(hits[0])


def _by_unit_and_coder(
    unit: np.ndarray, coder: np.ndarray, n_coders: int
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The order of the records by (unit, coder) and their (unit, coder) keys in that order
    (equal keys: one pair given twice), or (None, None) when the records are in that order
    already, each pair once. The labels frame is: checking that costs one comparison per
    record, where a sort, even of sorted input, writes an order array and a sorted copy."""
    if len(unit) < 2:
        return None, None
    step = unit[1:] > unit[:-1]
    same = unit[1:] == unit[:-1]
    same &= coder[1:] > coder[:-1]
    step |= same
    if step.all():
        return None, None
    pairs = unit * max(n_coders, 1)
    pairs += coder
    order = np.argsort(pairs, kind="stable")
    return order, pairs[order]


def _id_array(ids: Any) -> np.ndarray:
    """Unit or coder ids as an array: numbers stay numbers (a million statement ids as
    Python objects would take four times the memory), anything else is kept as objects."""
    array = np.asarray(ids)
    return array if array.dtype.kind in "iub" else np.asarray(ids, dtype=object)


def _factorize_sorted(series: pd.Series) -> tuple[np.ndarray, Any]:
    """`pd.factorize(series, sort=True)`, without hashing when the ids are numbers already
    in order (labels are read in statement order): a new code wherever the id changes."""
    if not pd.api.types.is_numeric_dtype(series.dtype) or isinstance(
        series.dtype, pd.CategoricalDtype
    ):
        return pd.factorize(series, sort=True)
    ids = series.to_numpy()
    if len(ids) == 0 or ids.dtype.kind not in "iu" or np.any(ids[1:] < ids[:-1]):
        return pd.factorize(series, sort=True)
    starts = np.empty(len(ids), dtype=bool)
    starts[0] = True
    np.not_equal(ids[1:], ids[:-1], out=starts[1:])
    return np.cumsum(starts) - 1, pd.Index(ids[starts])


def text_ids(series: pd.Series) -> pd.Series:
    """A column of ids as text, staying categorical when it is (only the few category
    names are converted, not millions of rows)."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        return series.cat.rename_categories([str(c) for c in series.cat.categories])
    return series.astype(str)


def _is_numeric(index: Any) -> bool:
    return bool(pd.api.types.is_numeric_dtype(getattr(index, "dtype", None)))


def _plain(value: Any) -> Any:
    """numpy scalars → Python scalars, so results serialise to JSON cleanly."""
    return value.item() if isinstance(value, np.generic) else value


def _shown(value: Any) -> str:
    """How an out-of-scale value is named in messages (6.0 from a float column reads 6)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)
