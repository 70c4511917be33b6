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

from geo.core.errors import IngestError
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


# ------------------------------------------------------------------------------ what people read
# Every file above, a KML declaring GB2312 (as Chinese tools write them) and files GDAL cannot
# open, through the CLI (`python -m geo ingest … --json`) and through what the upload page runs
# (dashboard.components.upload_check): each loads, or is refused with a reason in Chinese that
# names the file — never an exception's class, a library's English sentence or a server path.
import json  # noqa: E402
import re  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

ROOT = HOSTILE.parent.parent.parent
EXCEPTION_NAME = re.compile(r"\b(?:[A-Z][A-Za-z]*(?:Error|Exception|Warning)|Traceback)\b|Error:")
SERVER_PATH = re.compile(r"(?<![\w.])/(?:tmp|var|home|work|usr|srv|root|vsi[a-z]+)/|forest-ingest-")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}")  # three English words in a row

KML = """<?xml version="1.0" encoding="{enc}"?>
<kml xmlns="http://www.opengis.net/kml/2.2"><Document><name>突泉县变化图斑</name>
<Placemark><name>图斑001</name><ExtendedData><Data name="前地类"><value>乔木林地</value></Data>
<Data name="后地类"><value>建设用地</value></Data><Data name="县"><value>突泉县</value></Data></ExtendedData>
<Polygon><outerBoundaryIs><LinearRing><coordinates>121.54,45.64 121.55,45.64 121.55,45.65 121.54,45.65 121.54,45.64</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
<Placemark><name>图斑002</name>
<Polygon><outerBoundaryIs><LinearRing><coordinates>121.56,45.64 121.57,45.64 121.57,45.65 121.56,45.65 121.56,45.64</coordinates></LinearRing></outerBoundaryIs></Polygon></Placemark>
</Document></kml>"""


def kml_bytes(declared: str, codec: str) -> bytes:
    return KML.format(enc=declared).encode(codec)


def broken_files(folder: Path) -> list[Path]:
    """Files GDAL cannot open or parse, and text that is not what its name says."""
    made = {
        "损坏的图斑.gpkg": b"this is not a GeoPackage" * 20,
        "空文件.geojson": b"",
        "截断.geojson": b'{"type": "FeatureCollection", "features": [ {"type":',
        "不是图形.json": b'{"a": 1}',
        "标签不配对.kml": "<?xml version='1.0'?><kml><Document><Placemark><name>图斑</name></Document>".encode(),
        "二进制.kml": bytes(range(256)) * 8,
        "轨迹.gpx": b"<gpx><trk><trkseg><trkpt lat='x'></trkseg>",
        "未知编码.kml": "<?xml version='1.0' encoding='x-nobody-knows'?><kml/>".encode(),
        "乱码.shp": b"\0" * 64,
        "申报GB2312实为UTF8.kml": kml_bytes("GB2312", "utf-8"),
        "国标编码.kml": kml_bytes("GB2312", "gb2312"),
        "国标扩展.kml": kml_bytes("GBK", "gbk"),
    }
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for name, data in made.items():
        (folder / name).write_bytes(data)
        out.append(folder / name)
    kmz = folder / "奥维导出.kmz"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("doc.kml", kml_bytes("GB2312", "gb2312"))
    kmz.write_bytes(buf.getvalue())
    return [*out, kmz]


LOADS = {"申报GB2312实为UTF8.kml", "国标编码.kml", "国标扩展.kml", "奥维导出.kmz"}


def assert_plain(message: str, name: str) -> None:
    assert cjk(message), message
    assert name in message, (name, message)
    assert not EXCEPTION_NAME.search(message), message
    assert not SERVER_PATH.search(message), message
    assert not ENGLISH_SENTENCE.search(message), message


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return [*FILES, *broken_files(tmp_path_factory.mktemp("broken"))]


@pytest.fixture(scope="module")
def cli_store(tmp_path_factory):
    from geo.store import open_store

    path = tmp_path_factory.mktemp("cli") / "h.gpkg"
    add_counties(open_store(str(path), create=True))
    return path


def _layer(path: Path) -> str:
    return "patrol" if path.suffix == ".gpx" else "change"


def test_every_file_through_the_cli_loads_or_is_refused_plainly(cases, cli_store, capsys):
    from geo.cli.main import main

    seen = 0
    for path in cases:
        rc = main(["ingest", str(path), "--layer", _layer(path), "--batch", "测试", "--dry-run", "--json",
                   "--db", str(cli_store)])
        out = json.loads(capsys.readouterr().out)
        if path.name in LOADS:
            assert rc == 0 and out["to_store"] == 2 and "message" not in out, (path.name, out)
            continue
        assert rc == 2, (path.name, out)
        assert_plain(out["message"], path.name)
        assert not SERVER_PATH.search(json.dumps(out, ensure_ascii=False)), out  # nor in the details
        seen += 1
    assert seen >= 50


def test_every_file_through_the_upload_page_loads_or_is_refused_plainly(cases, gstore):
    from dashboard.components import upload_check as U

    for path in cases:
        opts = Options(layer=_layer(path), batch="测试", source="测试", kind="forest")
        checked = U.check([(path.name, path.read_bytes())], opts, gstore, Limits(), path.name, {})
        if path.name in LOADS:
            assert checked.error is None and checked.report.to_store == 2, (path.name, checked.error)
            f = checked.report.features
            assert set(f["polygon_no"]) == {"图斑001", "图斑002"}
            assert f["land_now"].iloc[0] == "建设用地" and f["county"].iloc[0] == "突泉县"  # decoded right
            continue
        err = checked.error if checked.error is not None else U.refusal(checked.report)
        assert err is not None, path.name
        assert_plain(err.message("zh"), path.name)


def test_the_real_command_line_reads_a_gb2312_kml_and_refuses_a_broken_file_plainly(tmp_path, cli_store):
    files = {p.name: p for p in broken_files(tmp_path / "in")}
    for name, code in (("国标编码.kml", 0), ("损坏的图斑.gpkg", 2)):
        r = subprocess.run([sys.executable, "-m", "geo", "ingest", str(files[name]), "--layer", "change",
                            "--batch", "测试", "--dry-run", "--json", "--db", str(cli_store)],
                           capture_output=True, text=True, cwd=ROOT, timeout=120)
        assert r.returncode == code, r.stdout + r.stderr
        out = json.loads(r.stdout)
        if code:
            assert_plain(out["message"], name)
        else:
            assert out["to_store"] == 2 and out["mapping"]["后地类"] == "land_now"
        assert "Traceback" not in r.stderr


def test_an_unforeseen_failure_is_a_plain_refusal_naming_the_file_and_logged(gstore, monkeypatch, caplog):
    from dashboard.components import upload_check as U
    from geo.ingest import batch

    def boom(*a, **k):
        raise ValueError("operands could not be broadcast together with shapes (0,) (2,)")

    monkeypatch.setattr(batch, "_Check", boom)
    data = kml_bytes("GB2312", "gb2312")
    with caplog.at_level("ERROR", logger="geo.ingest"):
        checked = U.check([("图斑.kml", data)], Options(batch="x"), gstore, Limits(), "d", {})
    assert_plain(checked.error.message("zh"), "图斑.kml")
    assert "operands" not in checked.error.message("zh") and "operands" not in checked.error.message("en")
    assert "operands could not be broadcast" in caplog.text  # the administrator finds it in the log
