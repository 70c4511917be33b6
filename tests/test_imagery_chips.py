"""Before/after chips (true colour and NDVI, outline, scale bar, cache) and the 图斑核查表."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from geo.imagery import chips as CH
from tests.test_imagery_zonal import _batch_with_imagery


def _img(png):
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def test_chips_show_the_clearing_with_outline_and_scale(store, tmp_path):
    bid, ids, before, after = _batch_with_imagery(store, tmp_path)
    feat = store.get_feature("change", ids[0])
    shots = CH.chips_for(store, feat, "rgb", folder=tmp_path / "im", size=200)
    assert [c.split()[:2] for c, _ in shots] == [["前期", "2023-07-10"], ["后期", "2024-07-15"]]
    assert "真彩色" in shots[0][0] and f"#{before.id}" in shots[0][0]
    b, a = (_img(p) for _, p in shots)
    assert b.shape == (200, 200, 3)
    # the outline is drawn in yellow, the scale bar in white at the bottom left
    yellow = (b[..., 0] > 230) & (b[..., 1] > 200) & (b[..., 2] < 60)
    assert yellow.sum() > 200
    assert (a[182:190, 9:30] > 240).all(axis=-1).any()
    ndvi = CH.chips_for(store, feat, "ndvi", folder=tmp_path / "im", size=200)
    nb, na = (_img(p) for _, p in ndvi)
    # inside the polygon (chip centre): green before, brown after
    c = slice(90, 110)
    assert (nb[c, c, 1] - nb[c, c, 0]).mean() > 40 and (na[c, c, 1] - na[c, c, 0]).mean() < 20
    assert "NDVI" in ndvi[0][0]
    # English captions
    en = CH.chips_for(store, feat, "rgb", folder=tmp_path / "im", size=200, lang="en")
    assert en[0][0].startswith("Before 2023-07-10") and "true colour" in en[0][0]


def test_chips_are_cached_per_version(store, tmp_path):
    bid, ids, *_ = _batch_with_imagery(store, tmp_path)
    feat = store.get_feature("change", ids[1])
    first = CH.chips_for(store, feat, "rgb", folder=tmp_path / "im", size=128)
    cache = sorted((tmp_path / "im" / ".chips").glob("*.png"))
    assert len(cache) == 2
    stamp = [p.stat().st_mtime_ns for p in cache]
    assert CH.chips_for(store, feat, "rgb", folder=tmp_path / "im", size=128) == first
    assert [p.stat().st_mtime_ns for p in cache] == stamp  # read from the cache, not drawn again
    CH.chips_for(store, {**feat, "version": feat["version"] + 1}, "rgb", folder=tmp_path / "im", size=128)
    assert len(list((tmp_path / "im" / ".chips").glob("*.png"))) == 4


def test_no_chips_where_no_scene_covers(store, tmp_path):
    import shapely

    _batch_with_imagery(store, tmp_path)
    far = {"id": 99, "version": 1, "geometry": shapely.box(121.0, 45.5, 121.01, 45.51)}
    assert CH.chips_for(store, far, "rgb", folder=tmp_path / "im") == []


def test_sheet_docx_and_cli(tmp_path, capsys, monkeypatch):
    from docx import Document

    from geo.cli.main import main
    from geo.imagery import sheet
    from geo.store import open_store

    db = str(tmp_path / "c.gpkg")
    store = open_store(db, create=True)
    bid, ids, *_ = _batch_with_imagery(store, tmp_path)
    out = sheet.write(store, ids[0], tmp_path / "核查表.docx", folder=tmp_path / "im")
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "图斑核查表" in text and "P1" in cells and "现场核查情况" in cells and "核查人员" in cells
    assert len(doc.inline_shapes) == 4  # before/after in true colour and in NDVI
    assert any("前期 2023-07-10" in c for c in cells)
    # the CLI verb writes the same sheet
    monkeypatch.setenv("FOREST_IMAGERY_DIR", str(tmp_path / "im"))
    assert main(["imagery", "sheet", "--id", str(ids[0]), "--out", str(tmp_path / "s.docx"), "--db", db]) == 0
    assert len(Document(str(tmp_path / "s.docx")).inline_shapes) == 4
    assert main(["imagery", "sheet", "--id", "999", "--out", str(tmp_path / "x.docx"), "--db", db]) == 2
    assert "不存在" in capsys.readouterr().err
