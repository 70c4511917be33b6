"""Batch ingest: formats, encodings, coordinates, geometry, field mapping, area, once-and-only-once.

Every test file is built in code (``geo.ingest.samples`` and the builders below): the traps are
the ones real batches carry — GBK tables without a ``.cpg``, GBK zip entry names, Gauss-Krüger
metres with no ``.prj``, swapped axes, self-intersections, re-uploads. Store-touching tests run on
both backends (the ``store`` fixture).
"""

from __future__ import annotations

import json
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.core import crs as C
from geo.core.errors import IngestError
from geo.ingest import Options, Upload, commit, load, prepare, suggest
from geo.ingest import samples

TUQUAN = (121.54, 45.64)  # a point well inside 突泉县
COUNTIES = [("152224", "突泉县", box(120.9, 45.3, 122.1, 46.05)),
            ("152221", "科尔沁右翼前旗", box(120.0, 46.05, 122.1, 47.0))]


# ------------------------------------------------------------------------------ builders
def add_counties(store, counties=COUNTIES):
    frame = gpd.GeoDataFrame({"code": [c for c, _, _ in counties], "name": [n for _, n, _ in counties],
                              "level": "county"}, geometry=[g for _, _, g in counties], crs=4490)
    with store.transaction() as tx:
        store.insert_features(tx, "admin", frame, actor="test")
    return store


@pytest.fixture
def cstore(store):
    """An empty store (both backends) holding two counties."""
    return add_counties(store)


@pytest.fixture
def gstore(tmp_path):
    """A GeoPackage store with two counties (for tests that need only one backend)."""
    from geo.store import open_store

    return add_counties(open_store(str(tmp_path / "g.gpkg"), create=True))


def tb(n=3, x0=TUQUAN[0], y0=TUQUAN[1], size=0.004, step=0.01, prefix="T", **cols) -> gpd.GeoDataFrame:
    """``n`` square change polygons in 突泉县 with a 2023-platform-like table (Chinese values)."""
    geoms = [box(x0 + i * step, y0, x0 + i * step + size, y0 + size) for i in range(n)]
    ha, _, _ = C.areas_ha_mu(np.array(geoms, dtype=object))
    data = {"PAN_NO_TB": [f"{prefix}{i:04d}" for i in range(n)], "XIAN": ["突泉县"] * n,
            "XIANG": ["突泉镇"] * n, "PAN_BHLX": ["1"] * n, "PAN_BHLX_DESC": ["1-林地变非林地"] * n,
            "QQYX_SJ": ["20220612"] * n, "HQYX_SJ": ["20230418"] * n, "MIAN_JI": np.round(ha, 4),
            "BEIZHU": ["建设项目使用林地"] * n}
    data.update(cols)
    return gpd.GeoDataFrame(data, geometry=geoms, crs=4490)


def zipped(frame, stem="图斑", encoding="GBK", cpg=False, prj=True, prefix="", ldid=0, crs=None) -> Upload:
    files = samples.shapefile_bytes(frame, stem=stem, encoding=encoding, cpg=cpg, prj=prj, ldid=ldid, crs=crs)
    return Upload.from_bytes(f"{stem}.zip", samples.gbk_zip(files, prefix=prefix))


def gj(frame, name="batch.geojson", **kw) -> Upload:
    return Upload.from_bytes(name, frame.to_json(**kw).encode("utf-8"))


def opts(**kw) -> Options:
    kw.setdefault("batch", "2024年第1期")
    kw.setdefault("source", "国家森林督查")
    return Options(**kw)


def counts(store) -> dict:
    return {"batches": len(store.batches()), "change": store.count("change"), "events": len(store.events())}


def cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ------------------------------------------------------------------------------ formats
def test_zipped_gbk_shapefile_without_cpg_reads_chinese_and_stores_it(cstore):
    report = prepare(zipped(tb()), opts(), cstore)
    lo = report.loaded
    assert lo.encoding.gdal == "GB18030" and lo.encoding.how == "detected"
    assert list(lo.frame.columns)[:3] == ["PAN_NO_TB", "XIAN", "XIANG"]
    assert lo.frame["XIAN"].tolist() == ["突泉县"] * 3
    assert report.counts == {"read": 3, "to_store": 3, "repaired": 0, "rejected": 0, "duplicates": 0,
                             "flagged": 0, "repeats": 0}
    bid = commit(report, cstore, actor="staff")
    stored = cstore.read_layer("change", where={"batch_id": bid})
    assert stored["county"].tolist() == ["突泉县"] * 3
    assert stored["township"].tolist() == ["突泉镇"] * 3
    assert stored["change_type"].tolist() == ["1-林地变非林地"] * 3
    assert stored["county_code"].tolist() == ["152224"] * 3
    assert stored["status"].tolist() == ["issued"] * 3
    batch = cstore.batch(bid)
    assert batch["source_encoding"] == "GB18030" and batch["feature_count"] == 3
    assert batch["file_sha256"] == lo.sha256
    # no mojibake anywhere in what was stored
    for col in ("county", "township", "change_type", "extra"):
        assert not stored[col].astype(str).str.contains("[À-ÿ]{2,}", regex=True).any()


def test_utf8_dbf_without_cpg_reads_right():
    lo = load(zipped(tb(), encoding="UTF-8"))
    assert lo.encoding.gdal == "UTF-8"
    assert lo.frame["XIAN"].tolist() == ["突泉县"] * 3
    assert lo.frame["BEIZHU"].iloc[0] == "建设项目使用林地"


def test_gbk_dbf_whose_ldid_or_cpg_claims_something_else_is_still_read_as_chinese():
    lo = load(zipped(tb(), ldid=0x57))  # ArcGIS "ANSI" (cp1252) on a GBK table
    assert lo.frame["XIAN"].iloc[0] == "突泉县" and lo.encoding.encoding == "gb18030"
    files = samples.shapefile_bytes(tb(), encoding="GBK", cpg=False)
    files["图斑.cpg"] = b"UTF-8"  # a wrong .cpg
    lo = load(Upload.from_bytes("x.zip", samples.gbk_zip(files)))
    assert lo.frame["XIAN"].iloc[0] == "突泉县"
    assert any("GB18030" in zh for zh, _ in lo.notes)


def test_gbk_dbf_with_ldid_77_is_read_by_gdal_itself():
    lo = load(zipped(tb(), ldid=0x4D))
    assert lo.frame["XIAN"].iloc[0] == "突泉县"


def test_an_encoding_that_cannot_be_told_is_refused_with_candidates_and_the_override_works():
    frame = tb(XIAN=["千葉県"] * 3, XIANG=["大網白里町"] * 3, BEIZHU=["山武郡"] * 3)
    up = zipped(frame, encoding="SHIFT_JIS")
    with pytest.raises(IngestError) as ex:
        load(up)
    assert ex.value.details["option"] == "encoding"
    assert "SHIFT_JIS" in ex.value.details["candidates"]
    assert "千葉県" in ex.value.zh  # the sample in the right encoding reads right
    lo = load(up, encoding="shift_jis")
    assert lo.frame["XIAN"].iloc[0] == "千葉県"


def test_zip_with_the_shapefile_in_a_gbk_named_subfolder(cstore):
    report = prepare(zipped(tb(), stem="2023年第1期图斑", prefix="森林督查/兴安盟/"), opts(), cstore)
    assert report.loaded.dataset.endswith("森林督查/兴安盟/2023年第1期图斑.shp")
    assert report.to_store == 3


def test_loose_shapefile_set(cstore, tmp_path):
    files = samples.shapefile_bytes(tb(), stem="图斑", encoding="GBK")
    report = prepare(Upload.from_files(files.items()), opts(), cstore)
    assert report.to_store == 3 and report.loaded.frame["XIAN"].iloc[0] == "突泉县"
    for name, data in files.items():  # the CLI gives one path: its siblings come with it
        (tmp_path / name).write_bytes(data)
    up = Upload.from_path(tmp_path / "图斑.shp")
    assert sorted(up.files) == sorted(files)


def test_shapefile_set_missing_its_shp_is_refused_with_a_clear_message():
    files = samples.shapefile_bytes(tb(), stem="city")
    del files["city.shp"]
    with pytest.raises(IngestError, match=r"\.shp") as ex:
        load(Upload.from_files(files.items()))
    assert "缺少 .shp" in ex.value.zh
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("city.zip", samples.gbk_zip(files)))
    assert "缺少 .shp" in ex.value.zh


def test_geopackage_layer_is_picked_or_asked_for(tmp_path):
    path = tmp_path / "batch.gpkg"
    frame = tb()
    pyogrio.write_dataframe(frame, path, layer="图斑")
    pts = gpd.GeoDataFrame({"name": ["牌1"]}, geometry=[Point(*TUQUAN)], crs=4490)
    pyogrio.write_dataframe(pts, path, layer="公示牌", append=True)
    lo = load(Upload.from_path(path))  # one polygon layer: taken
    assert lo.dataset == "图斑" and lo.read == 3
    pyogrio.write_dataframe(tb(prefix="B"), path, layer="图斑2", append=True)
    with pytest.raises(IngestError) as ex:
        load(Upload.from_path(path))
    assert ex.value.details["option"] == "source_layer"
    assert set(ex.value.details["choices"]) == {"图斑", "图斑2"}
    assert load(Upload.from_path(path), source_layer="图斑2").frame["PAN_NO_TB"].iloc[0] == "B0000"
    assert load(Upload.from_path(path), layer="signboard").dataset == "公示牌"


def test_geojson_loads_and_non_utf8_geojson_is_decoded(cstore):
    report = prepare(gj(tb()), opts(), cstore)
    assert report.to_store == 3
    text = tb().to_json(ensure_ascii=False)
    lo = load(Upload.from_bytes("gbk.geojson", text.encode("gbk")))
    assert lo.frame["XIAN"].iloc[0] == "突泉县"


def _kml(encoding: str) -> bytes:
    x, y = TUQUAN
    ring = f"{x},{y},0 {x + 0.004},{y},0 {x + 0.004},{y + 0.004},0 {x},{y + 0.004},0 {x},{y},0"
    text = (f'<?xml version="1.0" encoding="{encoding}"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
            "<Document><name>第一期</name><Placemark><name>图斑1</name>"
            "<ExtendedData><Data name=\"图斑编号\"><value>K001</value></Data>"
            "<Data name=\"县\"><value>突泉县</value></Data></ExtendedData>"
            f"<Polygon><outerBoundaryIs><LinearRing><coordinates>{ring}</coordinates></LinearRing>"
            "</outerBoundaryIs></Polygon></Placemark></Document></kml>")
    return text.encode("gb18030" if encoding.lower() in ("gb2312", "gbk") else encoding)


@pytest.mark.parametrize("encoding", ["gb2312", "GBK", "UTF-8"])
def test_kml_declaring_gb2312_or_gbk_loads_with_its_chinese_field_names(encoding):
    lo = load(Upload.from_bytes("图斑.kml", _kml(encoding)))
    assert lo.frame["图斑编号"].tolist() == ["K001"] and lo.frame["县"].tolist() == ["突泉县"]
    assert "tessellate" not in lo.frame.columns  # LIBKML's styling columns are dropped
    assert suggest(list(lo.frame.columns), "change")["图斑编号"] == "polygon_no"


def test_kmz_loads():
    import io

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("doc.kml", _kml("gb2312"))
    lo = load(Upload.from_bytes("图斑.kmz", buf.getvalue()))
    assert lo.frame["县"].iloc[0] == "突泉县" and not lo.rejected.any()


def _gpx() -> bytes:
    x, y = TUQUAN
    pts = "".join(f'<trkpt lat="{y + i * 0.001}" lon="{x + i * 0.001}"><time>2024-05-01T0{8 + i // 6}:{(i % 6) * 10:02d}:00Z</time></trkpt>'
                  for i in range(12))
    return ('<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
            'xmlns="http://www.topografix.com/GPX/1/1"><trk><name>张三巡护</name><trkseg>'
            f"{pts}</trkseg></trk></gpx>").encode()


def test_gpx_track_loads_into_the_patrol_layer_with_length_and_times(cstore):
    report = prepare(Upload.from_bytes("巡护.gpx", _gpx()), opts(layer="patrol"), cstore)
    assert report.loaded.dataset == "tracks" and report.to_store == 1
    f = report.features.iloc[0]
    assert 1.0 < f["length_km"] < 2.5
    assert f["started_at"] == "2024-05-01T08:00:00Z" and f["ended_at"] == "2024-05-01T09:50:00Z"
    assert f["duration_h"] == pytest.approx(1.83, abs=0.01)
    bid = commit(report, cstore, actor="staff")
    stored = cstore.read_layer("patrol", where={"county_code": "152224"})
    assert len(stored) == 1 and stored["source_file"].iloc[0] == "巡护.gpx"
    assert bid


def test_kml_line_track_loads_into_the_patrol_layer():
    x, y = TUQUAN
    kml = ('<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
           f"<Placemark><name>巡护</name><LineString><coordinates>{x},{y} {x + 0.01},{y + 0.01} {x + 0.02},{y}"
           "</coordinates></LineString></Placemark></Document></kml>").encode()
    lo = load(Upload.from_bytes("track.kml", kml), layer="patrol")
    assert lo.geoms[0].geom_type == "LineString" and not lo.rejected.any()


def test_unsupported_files_are_refused_naming_the_supported_ones():
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("points.csv", b"x,y\n1,2\n"))
    assert "不支持的文件类型 .csv" in ex.value.zh and "GeoPackage" in ex.value.zh


def test_upload_size_limit_from_config_is_enforced():
    from geo.core.config import load_settings
    from geo.ingest import Limits

    limits = Limits.from_settings(load_settings(env={}))
    assert limits.max_upload_mb == 200  # streamlit_config.toml server.maxUploadSize
    with pytest.raises(IngestError) as ex:
        load(Upload.from_bytes("big.zip", b"\0" * (2 * 1024 * 1024)), limits=Limits(max_upload_mb=1))
    assert "超过上传上限 1 MB" in ex.value.zh


# ------------------------------------------------------------------------------ coordinates
def _projected(frame, epsg):
    return frame.to_crs(epsg)


def _same_place(lo, frame, tol=1e-6):
    a = np.asarray(lo.geoms, dtype=object)
    b = frame.to_crs(4490).geometry.values
    return all(shapely.hausdorff_distance(x, y) < tol for x, y in zip(a, b))


@pytest.mark.parametrize("epsg", [4528, 4499])  # 3° zone 40 (CM 120°E); 6° zone 21 (CM 123°E)
def test_gauss_kruger_with_zone_prefix_and_no_prj_is_placed_right(epsg):
    frame = tb()
    lo = load(zipped(frame.to_crs(epsg), prj=False))
    assert lo.crs.how == "gk_prefix" and lo.crs.source_crs == f"EPSG:{epsg}"
    assert _same_place(lo, frame)
    assert any("带号" in zh for zh, _ in lo.notes)


def test_gauss_kruger_with_x_north_y_east_swapped_is_recognised():
    frame = tb()
    proj = frame.to_crs(4528)
    proj = proj.set_geometry(shapely.transform(proj.geometry.values, lambda c: c[:, ::-1].copy()))
    lo = load(zipped(proj, prj=False))
    assert lo.crs.swap and lo.crs.source_crs == "EPSG:4528"
    assert _same_place(lo, frame)


def test_gauss_kruger_without_zone_prefix_and_no_prj_asks_for_the_crs(gstore):
    frame = tb()
    up = zipped(frame.to_crs(4549), prj=False)
    with pytest.raises(IngestError) as ex:
        prepare(up, opts(), gstore)
    assert ex.value.details["option"] == "crs"
    assert "EPSG:4549" in ex.value.details["candidates"]
    assert "中央经线" in ex.value.zh
    report = prepare(up, opts(crs="EPSG:4549"), gstore)
    assert _same_place(report.loaded, frame) and report.to_store == 3
    # remembered for the source once a person chose it
    commit(report, gstore, actor="staff")
    again = prepare(zipped(tb(prefix="N", y0=45.7).to_crs(4549), prj=False), opts(), gstore)
    assert again.loaded.crs.how == "profile" and again.to_store == 3


def test_xian80_and_beijing54_sources_are_transformed_to_cgcs2000():
    frame = tb()
    for epsg in (2385, 2437, 4610):  # Xian 1980 GK CM 120E, Beijing 1954 GK CM 120E, Xian 1980
        lo = load(zipped(frame.to_crs(epsg)))
        assert lo.crs.how == "declared" and not lo.rejected.any()
        assert _same_place(lo, frame, tol=0.003)  # the datum shift is not public: PROJ's ballpark


def test_degrees_without_prj_are_cgcs2000_and_swapped_lat_lon_is_swapped_back():
    frame = tb()
    lo = load(zipped(frame, prj=False))
    assert lo.crs.how == "degrees" and _same_place(lo, frame)
    swapped = frame.set_geometry(shapely.transform(frame.geometry.values, lambda c: c[:, ::-1].copy()))
    lo = load(gj(swapped))  # GeoJSON: WGS84 by definition, latitudes of 121° are impossible
    assert lo.crs.swap and _same_place(lo, frame)
    lo = load(zipped(swapped, prj=False))
    assert lo.crs.how == "swapped" and _same_place(lo, frame)


def test_coordinates_that_fit_nothing_are_refused():
    odd = tb().set_geometry([box(5000, 5000, 5010, 5010)] * 3).set_crs(None, allow_override=True)
    with pytest.raises(IngestError) as ex:
        load(zipped(odd, prj=False))
    assert ex.value.details["option"] == "crs" and "请选择数据使用的坐标系" in ex.value.zh


def test_a_crs_that_puts_the_data_outside_china_is_refused(cstore):
    with pytest.raises(IngestError) as ex:
        load(zipped(tb().to_crs(4528), prj=False), crs="EPSG:4549")
    assert "不在中国境内" in ex.value.zh and "EPSG:4528" in ex.value.zh
    # degrees outside China with a .prj: every feature rejected, the whole file refused
    report = prepare(zipped(tb(x0=10.0, y0=50.0)), opts(), cstore)
    assert report.to_store == 0 and report.counts["rejected"] == 3
    err = report.refusal()
    assert err is not None and "不在中国境内" in err.zh
    assert counts(cstore)["change"] == 0


def test_gcj02_option_converts_mars_coordinates():
    frame = tb()

    def to_gcj(c):
        x, y = C.wgs84_to_gcj02(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    mars = frame.set_geometry(shapely.transform(frame.geometry.values, to_gcj))
    lo = load(gj(mars), gcj02=True)
    assert _same_place(lo, frame, tol=1e-6)
    assert not _same_place(load(gj(mars)), frame, tol=1e-3)  # ~500 m off without it


# ------------------------------------------------------------------------------ geometry
def test_invalid_null_and_wrong_type_geometries_are_repaired_or_rejected_with_reasons(cstore):
    x, y = TUQUAN
    bowtie = Polygon([(x, y), (x + 0.004, y + 0.004), (x + 0.004, y), (x, y + 0.004), (x, y)])
    two = MultiPolygon([box(x, y + 0.01, x + 0.002, y + 0.012), box(x + 0.005, y + 0.01, x + 0.007, y + 0.012)])
    z = shapely.force_3d(box(x, y + 0.02, x + 0.003, y + 0.023), 150.0)
    frame = tb(5).drop(columns=["MIAN_JI"])
    frame = frame.set_geometry([bowtie, None, Point(x, y), two, z], crs=4490)
    report = prepare(gj(frame), opts(), cstore)
    c = report.counts
    assert (c["read"], c["to_store"], c["repaired"], c["rejected"]) == (5, 3, 1, 2)
    p = report.problems.set_index("feature")
    assert "自相交" in p.loc[1, "zh"] and p.loc[1, "level"] == "repaired"
    assert p.loc[2, "zh"] == "没有几何图形（空记录）" and p.loc[2, "level"] == "rejected"
    assert "本图层需要面" in p.loc[3, "zh"]
    f = report.features.set_index("number")
    assert f.loc[1].geometry.is_valid and f.loc[1].geometry.area > 0
    assert len(f.loc[4].geometry.geoms) == 2  # multi-part kept whole
    assert not f.loc[5].geometry.has_z
    bid = commit(report, cstore, actor="staff")
    stored = cstore.read_layer("change", where={"batch_id": bid})
    assert len(stored) == 3 and stored.geometry.is_valid.all()
    assert json.loads(stored.set_index("polygon_no").loc["T0000", "flags"]) == {"repaired": True}


def test_curved_geometries_are_linearised_and_tins_rejected_with_the_reason(hostile):
    lo = load(Upload.from_path(hostile / "pyogrio" / "curvepolygon.gpkg"))
    assert lo.geoms[0].geom_type == "Polygon"
    lo = load(Upload.from_path(hostile / "pyogrio" / "multisurface.gpkg"))
    assert lo.geoms[0].geom_type == "MultiPolygon"
    lo = load(Upload.from_path(hostile / "fiona" / "test_tin.shp"), crs="EPSG:4490")
    assert lo.rejected.all() and "TIN" in lo.problems.rows[0]["zh"]


@pytest.fixture
def hostile():
    from pathlib import Path

    return Path(__file__).resolve().parent / "data" / "hostile"


# ------------------------------------------------------------------------------ fields
def test_field_mapping_prefill_prefers_desc_twins_and_keeps_everything_else(cstore):
    frame = tb(Q_DI_LEI=["0111"] * 3, Q_DI_LEI_D=["0111-乔木林地"] * 3, LIN_BAN=["12"] * 3, 自定义=["甲"] * 3)
    frame = frame.rename(columns={"PAN_BHLX_DESC": "PAN_BHLX_D"})  # DBF names are cut to 10 characters
    report = prepare(zipped(frame), opts(), cstore)
    m = report.mapping
    assert m["PAN_NO_TB"] == "polygon_no" and m["XIAN"] == "county" and m["MIAN_JI"] == "area_reported_ha"
    assert m["PAN_BHLX_D"] == "change_type" and m["PAN_BHLX"] is None
    assert m["Q_DI_LEI_D"] == "land_before" and m["Q_DI_LEI"] is None
    assert m["QQYX_SJ"] == "before_date" and m["LIN_BAN"] == "lin_ban"
    f = report.features.iloc[0]
    assert f["before_date"] == "2022-06-12" and f["after_date"] == "2023-04-18"
    assert f["change_type"] == "1-林地变非林地" and f["land_before"] == "0111-乔木林地"
    bid = commit(report, cstore, actor="staff")
    stored = cstore.read_layer("change", where={"batch_id": bid})
    extra = json.loads(stored["extra"].iloc[0])
    assert extra == {"PAN_BHLX": "1", "Q_DI_LEI": "0111", "BEIZHU": "建设项目使用林地", "自定义": "甲"}
    assert cstore.batch(bid)["field_mapping"]


def test_field_mapping_is_remembered_per_source_and_overrides_are_checked(cstore):
    frame = tb(核查人=["李四"] * 3)
    report = prepare(zipped(frame), opts(source="自治区", mapping={"BEIZHU": "measure", "核查人": "verified_by"}), cstore)
    assert report.mapping["BEIZHU"] == "measure"
    commit(report, cstore, actor="staff")
    later = prepare(zipped(tb(prefix="S", y0=45.75, 核查人=["王五"] * 3)), opts(source="自治区"), cstore)
    assert later.mapping["BEIZHU"] == "measure" and later.mapping["核查人"] == "verified_by"
    other = prepare(zipped(tb(prefix="S", y0=45.75)), opts(source="盟市"), cstore)
    assert other.mapping["BEIZHU"] is None  # another source: its own mapping
    with pytest.raises(IngestError, match="no field 'nonsense'"):
        prepare(zipped(tb()), opts(mapping={"BEIZHU": "nonsense"}), cstore)
    with pytest.raises(IngestError, match="no column"):
        prepare(zipped(tb()), opts(mapping={"不存在": "measure"}), cstore)


def test_values_that_do_not_fit_their_field_are_reported_and_kept_in_extra(gstore):
    frame = tb(QQYX_SJ=["20220612", "去年夏天", "2022/6/1"])
    report = prepare(zipped(frame), opts(), gstore)
    w = report.problems[report.problems["level"] == "warning"]
    assert len(w) == 1 and w.iloc[0]["feature"] == 2 and "去年夏天" in w.iloc[0]["zh"]
    f = report.features.set_index("number")
    assert f.loc[1, "before_date"] == "2022-06-12" and f.loc[3, "before_date"] == "2022-06-01"
    assert f.loc[2, "before_date"] is None and json.loads(f.loc[2, "extra"])["QQYX_SJ"] == "去年夏天"


def test_attributes_converted_alongside_the_geometries_give_the_same_report(gstore):
    """prepare() converts the attributes while the geometries are repaired; the report must be
    the one a plain load-then-check gives, failures and extra included."""
    from geo.ingest.batch import check, load_for

    frame = tb(5, QQYX_SJ=["20220612", "去年夏天", "2022/6/1", "", "20230101"], 备注=["甲", None, "丙", "丁", "戊"])
    up = zipped(frame)
    fast = prepare(up, opts(mapping={"备注": "measure"}), gstore)
    plain = check(load_for(up, opts(mapping={"备注": "measure"}), gstore), opts(mapping={"备注": "measure"}), gstore)
    pd.testing.assert_frame_equal(fast.features.drop(columns="geometry"), plain.features.drop(columns="geometry"))
    pd.testing.assert_frame_equal(fast.problems, plain.problems)
    assert fast.features["measure"].tolist()[0] == "甲" and fast.counts == plain.counts


def test_a_shapefile_read_in_two_passes_at_once_reads_the_same(monkeypatch):
    """Shapefiles are read as geometry and attribute table in parallel (read._read_split); the
    result must be what one classic read gives: Chinese text, repaired polygons, problems."""
    from geo.ingest import read as R

    frame = samples.change_polygons(300, seed=5, invalid=0.1)
    up = zipped(frame)
    used, real = [], R._read_split
    monkeypatch.setattr(R, "_read_split", lambda *a, **k: used.append(real(*a, **k)) or used[-1])
    split = load(up)
    assert used and used[0] is not None  # the two-pass read really ran the first time
    calls = []
    monkeypatch.setattr(R, "_read_split", lambda *a, **k: calls.append(1))  # → None: classic read
    classic = load(up)
    assert calls  # the classic path really ran the second time
    pd.testing.assert_frame_equal(split.frame, classic.frame)
    assert split.frame["XIAN"].str.contains("[\u4e00-\u9fff]").all()  # Chinese, not mojibake
    assert shapely.equals(split.geoms, classic.geoms).all()
    assert (split.repaired == classic.repaired).all() and split.repaired.sum() > 0
    assert split.problems.rows == classic.problems.rows


# ------------------------------------------------------------------------------ area and place
def test_area_is_recomputed_in_the_gk_zone_and_mismatches_are_flagged(cstore):
    frame = tb(4)
    frame.loc[2, "MIAN_JI"] = frame.loc[2, "MIAN_JI"] * 2
    report = prepare(zipped(frame), opts(), cstore)
    f = report.features.set_index("number")
    ha, mu, used = C.areas_ha_mu(frame.geometry.values)
    assert np.allclose(f["area_ha"].to_numpy(dtype=float), np.round(ha, 4))
    assert np.allclose(f["area_mu"].to_numpy(dtype=float), np.round(mu, 2))
    assert set(f["area_crs"]) == {f"EPSG:{C.gk3_epsg_for_lon(TUQUAN[0])}"}  # CM 123°E
    assert report.counts["flagged"] == 1
    assert json.loads(f.loc[3, "flags"])["area_mismatch"]["ratio"] == pytest.approx(2.0, abs=0.01)
    msg = report.problems[report.problems["field"] == "area_reported_ha"].iloc[0]["zh"]
    assert "上报面积" in msg and "100%" in msg
    bid = commit(report, cstore, actor="staff")
    flags = cstore.read_layer("change", where={"batch_id": bid}, columns=["polygon_no", "flags"], geometry=False)
    assert "area_mismatch" in flags.set_index("polygon_no").loc["T0002", "flags"]


def test_reported_area_in_mu_is_recognised_and_converted(gstore):
    frame = tb(4)
    frame["MIAN_JI"] = frame["MIAN_JI"] * 15
    report = prepare(zipped(frame), opts(), gstore)
    assert report.counts["flagged"] == 0
    assert any("亩" in zh for zh, _ in report.notes)


def test_polygons_outside_every_county_or_far_from_their_named_county_are_flagged(cstore):
    frame = tb(3)
    frame.loc[1, "XIAN"] = "科尔沁右翼前旗"  # lies in 突泉县
    frame = frame.set_geometry([frame.geometry.iloc[0], frame.geometry.iloc[1], box(118.0, 45.0, 118.004, 45.004)], crs=4490)
    report = prepare(zipped(frame), opts(), cstore)
    f = report.features.set_index("number")
    assert json.loads(f.loc[2, "flags"])["county_mismatch"] == {"named": "科尔沁右翼前旗", "located": "突泉县"}
    assert json.loads(f.loc[3, "flags"])["outside_counties"] is True
    assert f.loc[2, "county_code"] == "152224"  # the jurisdiction is where it lies
    assert report.counts["flagged"] == 2


# ------------------------------------------------------------------------------ once and only once
def test_the_same_file_twice_stores_nothing_the_second_time_and_names_the_batch(cstore):
    up = zipped(tb())
    bid = commit(prepare(up, opts(), cstore), cstore, actor="staff")
    before = counts(cstore)
    with pytest.raises(IngestError) as ex:
        prepare(up, opts(batch="又一次"), cstore)
    assert ex.value.details["batch_id"] == bid
    assert f"批次 #{bid}“2024年第1期”" in ex.value.zh
    assert counts(cstore) == before


def test_polygons_already_stored_by_number_or_by_geometry_are_not_stored_again(cstore):
    bid = commit(prepare(zipped(tb(4)), opts(), cstore), cstore, actor="staff")
    # the same numbers in a new file (a re-export with another remark)
    report = prepare(zipped(tb(4, BEIZHU=["复核"] * 4)), opts(batch="第2期"), cstore)
    assert report.counts["duplicates"] == 4 and report.to_store == 0
    err = report.refusal()
    assert f"#{bid}" in err.zh and "均已入库" in err.zh
    # the same shapes under new numbers, plus one new polygon
    frame = tb(5, prefix="X")
    report = prepare(zipped(frame), opts(batch="第3期"), cstore)
    assert report.counts["duplicates"] == 4 and report.to_store == 1
    dup = report.problems[report.problems["level"] == "duplicate"]
    assert all(f"批次 #{bid}" in m for m in dup["zh"]) and set(dup["field"]) == {"geometry"}
    before = counts(cstore)
    commit(report, cstore, actor="staff")
    assert counts(cstore)["change"] == before["change"] + 1


def test_duplicates_within_one_file(cstore):
    frame = tb(3)
    frame.loc[2, "PAN_NO_TB"] = "T0000"
    frame = pd.concat([frame, tb(1, prefix="Z")], ignore_index=True)
    frame = frame.set_geometry([*frame.geometry.iloc[:3], frame.geometry.iloc[1]], crs=4490)
    report = prepare(zipped(frame), opts(), cstore)
    p = report.problems.set_index("feature")
    assert "重复出现" in p.loc[3, "zh"] and "完全相同" in p.loc[4, "zh"]
    assert report.to_store == 2


def test_substantially_overlapping_polygons_are_linked_as_repeats(cstore):
    first = commit(prepare(zipped(tb(2)), opts(), cstore), cstore, actor="staff")
    old = cstore.read_layer("change", where={"batch_id": first}).set_index("polygon_no")
    moved = tb(2, x0=TUQUAN[0] + 0.0004, prefix="R")  # 10% shifted: ~90% overlap
    far = tb(1, x0=TUQUAN[0] + 0.003, y0=TUQUAN[1] + 0.003, prefix="F")  # barely touches
    report = prepare(zipped(pd.concat([moved, far], ignore_index=True)), opts(batch="2024年第2期"), cstore)
    assert report.counts["repeats"] == 2 and report.to_store == 3
    bid = commit(report, cstore, actor="staff")
    new = cstore.read_layer("change", where={"batch_id": bid}).set_index("polygon_no")
    assert int(new.loc["R0000", "repeat_of"]) == int(old.loc["T0000", "id"])
    assert int(new.loc["R0001", "repeat_of"]) == int(old.loc["T0001", "id"])
    assert pd.isna(new.loc["F0000", "repeat_of"])
    rep = json.loads(new.loc["R0000", "flags"])["repeat"]
    assert rep["batch_id"] == first and rep["overlap"] > 0.8


def test_a_batch_is_one_transaction_a_failure_mid_commit_stores_nothing(cstore, monkeypatch):
    report = prepare(zipped(tb(3)), opts(), cstore)
    before = counts(cstore)

    def boom(*a, **k):
        raise RuntimeError("disk unplugged")

    # fails after the batch row and the feature rows were written, before the import events
    monkeypatch.setattr(cstore, "add_events", boom)
    with pytest.raises(RuntimeError):
        commit(report, cstore, actor="staff")
    assert counts(cstore) == before
    assert cstore.field_profile("国家森林督查", "change") is None
    monkeypatch.undo()
    commit(report, cstore, actor="staff")
    assert counts(cstore)["change"] == before["change"] + 3


def test_commit_is_refused_if_another_batch_was_stored_since_the_check(cstore):
    a = prepare(zipped(tb(2)), opts(), cstore)
    b = prepare(zipped(tb(2, prefix="B", y0=45.7)), opts(batch="另一批"), cstore)
    commit(b, cstore, actor="staff")
    with pytest.raises(IngestError) as ex:
        commit(a, cstore, actor="staff")
    assert ex.value.details["option"] == "recheck"


def test_commit_checks_the_uploader_and_the_batch_fields(cstore):
    from geo.access.auth import Access
    from geo.core.errors import PermissionDenied

    report = prepare(zipped(tb()), opts(), cstore)
    with pytest.raises(PermissionDenied):
        commit(report, cstore, actor="x", access=Access(user="x", role="inspector", counties=frozenset()))
    with pytest.raises(IngestError, match="needs a name"):
        commit(report, cstore, actor="staff", options=opts(batch=" "))
    with pytest.raises(IngestError) as ex:
        commit(report, cstore, actor="staff", options=opts(verify_deadline="2024-06-30", rectify_deadline="2024-01-01"))
    assert "整改期限" in ex.value.zh
    bid = commit(report, cstore, actor="staff", access=Access(user="staff", role="staff"),
                 options=opts(issued_on="2024-04-01", verify_deadline="2024-06-30", rectify_deadline="2024-12-31",
                              kind="grassland"))
    b = cstore.batch(bid)
    assert (b["issued_on"], b["verify_deadline"], b["rectify_deadline"]) == ("2024-04-01", "2024-06-30", "2024-12-31")
    assert set(cstore.read_layer("change", where={"batch_id": bid})["kind"]) == {"grassland"}
    ev = cstore.events("change")
    assert (ev["action"] == "import").sum() == 3


def test_the_problem_list_downloads_as_excel_in_either_language(gstore):
    import io

    frame = tb(3)
    frame.loc[0, "MIAN_JI"] *= 3
    report = prepare(zipped(frame), opts(), gstore)
    sheet = pd.read_excel(io.BytesIO(report.to_excel("zh")), sheet_name="问题清单")
    assert list(sheet.columns) == ["要素序号", "图斑编号", "字段", "类别", "说明"]
    assert sheet.iloc[0]["图斑编号"] == "T0000" and sheet.iloc[0]["类别"] == "提示"
    assert "上报面积" in sheet.iloc[0]["说明"]
    summary = pd.read_excel(io.BytesIO(report.to_excel("zh")), sheet_name="概况")
    assert "GB18030" in summary["值"].astype(str).tolist()
    en = report.errors("en")
    assert en[0]["message"].startswith("reported") and en[0]["feature"] == 1


def test_a_shapefile_without_its_shx_is_rebuilt(gstore):
    files = samples.shapefile_bytes(tb(), stem="图斑")
    del files["图斑.shx"]
    report = prepare(Upload.from_bytes("noshx.zip", samples.gbk_zip(files)), opts(), gstore)
    assert report.to_store == 3 and any(".shx" in zh for zh, _ in report.notes)
    files_loose = dict(files)
    report = prepare(Upload.from_files(files_loose.items()), opts(batch="散件"), gstore)
    assert report.to_store == 3
