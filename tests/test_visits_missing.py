"""A patrol track near a change polygon with no batch (a batch id read back as pandas' NA) is
judged like any other, instead of failing the write that adds the track (found by the page
crawler, issue 22)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

from geo.store import visits


def test_a_polygon_without_a_batch_is_visited_by_a_track_through_it():
    cx, cy = np.array([121.50, 121.60]), np.array([45.90, 45.90])
    track = shapely.LineString([(121.499, 45.899), (121.501, 45.901)])
    out = visits.visited_mask(cx, cy, pd.array([pd.NA, 7], dtype="Int64"), np.array([track], dtype=object),
                              np.array(["2026-11-02T08:00:00Z"], dtype=object), {7: "2026-10-01"})
    assert out.tolist() == [True, False]  # no batch: no date to be after; the far polygon not visited
    out = visits.visited_mask(cx, cy, [None, float("nan")], np.array([track], dtype=object),
                              np.array([pd.NA], dtype=object), {})
    assert out.tolist() == [True, False]
