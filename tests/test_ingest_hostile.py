"""Hostile input: every file in tests/data/hostile, and archive traps built in code.

Each one either loads cleanly or is refused with a message a clerk can act on (in Chinese), and
the store is left exactly as it was. Archives are judged before anything is read from them and
never unpacked.
"""

from __future__ import annotations

import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from geo.errors import IngestError
from geo.ingest import Limits, Options, Upload, commit, load, prepare
from geo.ingest import samples
from tests.test_ingest import add_counties, cjk, counts, tb, zipped

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"
FILES = sorted(p for p in HOSTILE.rglob("*") if p.is_file() and not p.name.startswith(("LICENSE", "README")))


@pytest.fixture
def gstore(tmp_path):
    from geo.store import open_store

    return add_counties(open_store(str(tmp_path / "h.gpkg"), create=True))


def _judge(upload: Upload, layer: str, store) -> str:
    """Prepare and, if anything can be stored, commit; return 'stored' or the Chinese refusal."""
    before = counts(store)
    try:
        report = prepare(upload, Options(layer=layer, batch="测试批次", source="测试"), store)
    except IngestError as err:
        assert cjk(err.zh), err.zh
        assert "Traceback" not in err.zh and err.en != err.zh
        assert counts(store) == before
        return err.zh
    err = report.refusal()
    if err is not None:
        assert cjk(err.zh), err.zh
        assert counts(store) == before
        return err.zh
    commit(report, store, actor="staff")
    assert counts(store)["batches"] == before["batches"] + 1
    return "stored"


def test_the_hostile_files_are_all_here():
    # CI runs on a fresh clone: the files the tests below walk are part of the project
    assert len(FILES) >= 45
    assert (HOSTILE / "README.md").exists()
    for folder in ("fiona", "ogr2osm", "node-zipfile", "garybikini_city_missing_shp", "pyogrio"):
        assert any(p.name.startswith("LICENSE") for p in (HOSTILE / folder).iterdir()), folder


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(HOSTILE)) for p in FILES])
def test_every_hostile_file_loads_or_is_refused_in_chinese_and_the_store_is_unchanged(path, gstore):
    layer = "patrol" if path.suffix == ".gpx" else "change"
    outcome = _judge(Upload.from_path(path), layer, gstore)
    assert outcome == "stored" or cjk(outcome)


EXPECTED = {  # what a clerk is told for the instructive ones
    "node-zipfile/bogus.zip": "不是有效的 zip 压缩包",
    "node-zipfile/Archive.zip": "没有可读取的矢量数据",
    "garybikini_city_missing_shp/city.dbf": "缺少 .shp 文件",
    "ogr2osm/japanese.shp": "无法确定属性表的文字编码",
    "ogr2osm/shift-jis.geojson": "无法确定文件的文字编码",
    "fiona/test_tin.shp": "TIN",
    "pyogrio/poly_not_enough_points.shp.zip": "少于 4 个点",
    "fiona/coutwildrnp.zip": "不在中国境内",
    "pyogrio/test_fgdb.gdb.zip": "不在中国境内",  # the tables before the line layers are skipped
    "fiona/testopenfilegdb.gdb.zip": "请选择要导入的图层",
    "ogr2osm/sp_usinas.shp": "没有可导入本图层的面图层",
    "fiona/example.topojson": "不支持的文件类型 .topojson",
}


@pytest.mark.parametrize("rel, text", EXPECTED.items(), ids=list(EXPECTED))
def test_hostile_files_get_the_message_that_says_what_to_do(rel, text, gstore):
    assert text in _judge(Upload.from_path(HOSTILE / rel), "change", gstore)


def test_the_shift_jis_shapefile_is_shown_in_each_candidate_encoding_and_still_never_stored():
    up = Upload.from_path(HOSTILE / "ogr2osm" / "japanese.shp")
    with pytest.raises(IngestError) as ex:
        load(up)
    assert "SHIFT_JIS：千葉県" in ex.value.zh  # the sample that reads right names the encoding
    with pytest.raises(IngestError) as ex:
        load(up, encoding="SHIFT_JIS")  # decoded now; but it lies in Japan, with no .prj
    assert ex.value.details["option"] == "crs"
    with pytest.raises(IngestError) as ex:
        load(up, encoding="SHIFT_JIS", crs="EPSG:4326")
    assert "不在中国境内" in ex.value.zh


def test_the_filegdb_layer_can_be_chosen():
    lo = load(Upload.from_path(HOSTILE / "fiona" / "testopenfilegdb.gdb.zip"), source_layer="polygon")
    assert lo.dataset == "polygon" and lo.read >= 1


# ------------------------------------------------------------------------------ archive traps
def _zip(entries: dict[str, bytes], method=zipfile.ZIP_DEFLATED, **info_kw) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = method
            for k, v in info_kw.items():
                setattr(info, k, v)
            zf.writestr(info, data)
    return buf.getvalue()


def test_a_zip_bomb_is_refused_in_seconds_with_bounded_memory(gstore):
    buf = io.BytesIO()
    chunk = b"\0" * (1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("图斑.dbf", "w") as out:  # 300 MB of zeros in ~0.3 MB
            for _ in range(300):
                out.write(chunk)
        zf.writestr("图斑.shp", b"\0" * 100)
    data = buf.getvalue()
    assert len(data) < 2 << 20
    before = counts(gstore)
    tracemalloc.start()
    t0 = time.perf_counter()
    with pytest.raises(IngestError) as ex:
        prepare(Upload.from_bytes("bomb.zip", data), Options(batch="x"), gstore)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "压缩炸弹" in ex.value.zh
    assert seconds < 5 and peak < 50 * 2**20
    assert counts(gstore) == before


def test_a_zip_that_would_unpack_past_the_limit_is_refused():
    data = _zip({"a.dbf": b"x" * (3 << 20)})
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("big.zip", data), limits=Limits(max_total_mb=2))
    assert "解压后将达" in ex.value.zh


def test_a_zip_with_too_many_entries_is_refused():
    data = _zip({f"f{i}.txt": b"" for i in range(2100)})
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("many.zip", data))
    assert "超过上限 2000 个" in ex.value.zh


@pytest.mark.parametrize("name", ["../../evil/图斑.shp", "/etc/图斑.shp", "data/../../图斑.shp", "C:/temp/图斑.shp"])
def test_a_zip_with_paths_leaving_the_folder_is_refused(name):
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("slip.zip", _zip({name: b"x"})))
    assert "路径穿越" in ex.value.zh and ex.value.details["entry"] == name


def test_nested_archives_links_encryption_and_odd_compression_are_refused():
    inner = zipped(tb()).files["图斑.zip"]
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("outer.zip", _zip({"inner.zip": inner})))
    assert "还套有压缩包" in ex.value.zh
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("link.zip", _zip({"图斑.shp": b"/etc/passwd"}, external_attr=0o120777 << 16)))
    assert "符号链接" in ex.value.zh
    locked = bytearray(_zip({"图斑.shp": b"x"}))
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the "encrypted" flag
        at = locked.find(sig)
        locked[at + off] |= 0x1
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("locked.zip", bytes(locked)))
    assert "已加密" in ex.value.zh
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("bz.zip", _zip({"图斑.shp": b"x" * 100}, method=zipfile.ZIP_BZIP2)))
    assert "不支持的压缩方式" in ex.value.zh


def test_macos_resource_forks_are_skipped_and_gbk_entry_names_shown_right(gstore):
    files = samples.shapefile_bytes(tb(), stem="图斑")
    files.update({f"__MACOSX/._{n}": b"\0\5\26\7junk" for n in list(files)})
    report = prepare(Upload.from_bytes("mac.zip", samples.gbk_zip(files)), Options(batch="x"), gstore)
    assert report.to_store == 3 and report.loaded.dataset == "mac.zip › 图斑.shp"


def test_a_store_is_never_touched_by_a_refused_upload_even_after_reading(gstore, tmp_path):
    before = counts(gstore)
    for data, name in ((b"bogus", "a.zip"), (b"{}", "b.geojson"), (b"<kml/>", "c.kml")):
        with pytest.raises(IngestError):
            prepare(Upload.from_bytes(name, data), Options(batch="x"), gstore)
    assert counts(gstore) == before
