"""The rows a checked batch would store, kept until the person commits (or drops) it.

A batch read in one piece keeps its rows in memory, as one frame. A batch read in chunks (a
national batch of half a million polygons) keeps each chunk's checked rows in a file of its own
in a private temporary folder instead, so neither the check nor the commit ever holds the whole
batch: the commit reads them back one chunk at a time, in file order, inside its one transaction.
The folder goes when the report does.
"""

from __future__ import annotations

import pickle
import shutil
import tempfile
import weakref
from pathlib import Path
from typing import Iterator

import geopandas as gpd
import pandas as pd


class Staged:
    def __init__(self, frame: gpd.GeoDataFrame | None = None):
        self._frames: list[gpd.GeoDataFrame] = []
        self._paths: list[Path] = []
        self._dir: Path | None = None
        self._n = 0
        self._columns: list[str] = []
        if frame is not None:
            self.add(frame)

    def __len__(self) -> int:
        return self._n

    @property
    def on_disk(self) -> bool:
        return self._dir is not None

    def spill(self) -> None:
        """From now on keep the rows on disk (those held in memory go there first)."""
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="forest-staged-"))
            weakref.finalize(self, shutil.rmtree, str(self._dir), True)
            held, self._frames = self._frames, []
            for f in held:
                self._write(f)

    def add(self, frame: gpd.GeoDataFrame, spill: bool = False) -> None:
        """Keep ``frame``'s rows after those already kept; with ``spill`` (and from then on) on
        disk rather than in memory."""
        if not self._columns:
            self._columns = list(frame.columns)
        if spill:
            self.spill()
        if self._dir is not None:
            self._write(frame)
        else:
            self._frames.append(frame)
        self._n += len(frame)

    def _write(self, frame: gpd.GeoDataFrame) -> None:
        path = self._dir / f"{len(self._paths):05d}.pickle"
        with open(path, "wb") as fh:
            pickle.dump(frame, fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._paths.append(path)

    def update(self, fn) -> None:
        """Replace every kept chunk by ``fn(chunk)`` (same rows: values completed after the check,
        e.g. the patroller a person named for the tracks of a file), in memory or on disk."""
        self._frames = [fn(f) for f in self._frames]
        for path in self._paths:
            with open(path, "rb") as fh:
                frame = pickle.load(fh)
            with open(path, "wb") as fh:
                pickle.dump(fn(frame), fh, protocol=pickle.HIGHEST_PROTOCOL)
        first = next(iter(self.chunks()), None)
        if first is not None:
            self._columns = list(first.columns)

    def chunks(self) -> Iterator[gpd.GeoDataFrame]:
        """The kept rows, a chunk at a time, in order."""
        yield from self._frames
        for path in self._paths:
            with open(path, "rb") as fh:
                yield pickle.load(fh)

    def frame(self) -> gpd.GeoDataFrame:
        """All kept rows as one frame (for a batch kept on disk: read back whole)."""
        if len(self._frames) == 1 and not self._paths:
            return self._frames[0]
        parts = list(self.chunks())
        if not parts:
            return gpd.GeoDataFrame(columns=self._columns or ["geometry"], geometry="geometry", crs=4490)
        return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=4490)
