"""``python -m geo imagery …`` and ``python -m geo basemap …``.

imagery add FILE|FOLDER   register scenes (--date, --sensor, --bands red=3,nir=4 | --ndvi-band 1 --scale 1e-4 --nodata -3000)
imagery list              the scenes (of --actor's counties), by date
imagery ndvi --batch ID   NDVI before/after per polygon of a batch, stored on the polygons
imagery detect            candidate change polygons from a before/after pair, as a 自动检测 batch
imagery chips / sheet     before/after chips of a polygon; its 图斑核查表 (.docx)
imagery regreen           the re-greening check (回头看); --items turns the failures into items
basemap build / list      offline tile archives (.mbtiles) from GeoTIFFs

Exit 0 done, 2 refused (with the reason, nothing written). ``--json`` prints one JSON object.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from geo.access.actors import resolve
from geo.store import open_store
from geo.imagery import scenes as SC
from geo.imagery import zonal
from geo.imagery import detect
from geo.imagery import chips
from geo.imagery import sheet
from geo.imagery import regreen
from geo.imagery import basemap


def add_parsers(sub, common) -> None:
    """Add the ``imagery`` and ``basemap`` commands to ``python -m geo``'s subparsers."""
    im = sub.add_parser("imagery", help="scenes, NDVI per polygon, change detection, chips, re-greening")
    isub = im.add_subparsers(dest="verb", required=True, metavar="VERB")

    p = isub.add_parser("add", help="register a GeoTIFF/COG scene (or every GeoTIFF of a folder)")
    common(p)
    p.add_argument("path", help="a .tif file, or a folder (each GeoTIFF a scene, or band files stacked)")
    p.add_argument("--date", help="acquisition date YYYY-MM-DD (default: from the file's tags or name)")
    p.add_argument("--sensor", help="e.g. GF-1, Sentinel-2, Landsat 8, MODIS")
    p.add_argument("--bands", help="band roles, e.g. red=3,nir=4 (or red=B4.tif,nir=B5.tif with a folder)")
    p.add_argument("--ndvi-band", type=int, help="the band holding NDVI, e.g. 1")
    p.add_argument("--scale", type=float, help="value = raw × scale + offset (e.g. 1e-4)")
    p.add_argument("--offset", type=float, help="value = raw × scale + offset (e.g. -0.2)")
    p.add_argument("--nodata", type=float, help="raw value meaning no data (e.g. -3000)")
    p.add_argument("--name", help="display name (default: the file name)")
    p.add_argument("--actor", help="the account making the change (its role and counties apply)")
    p.add_argument("--system", action="store_true", help="an administrator on the server (recorded as system:<os user>)")

    p = isub.add_parser("list", help="registered scenes by date, with coverage")
    common(p)
    p.add_argument("--actor", help="only the scenes meeting this account's counties")
    p.add_argument("--county", action="append", help="only scenes meeting this county code (repeatable)")

    p = isub.add_parser("ndvi", help="NDVI before/after per polygon of a batch (stored on the polygons)")
    common(p)
    p.add_argument("--batch", type=int, required=True)
    p.add_argument("--before", type=int, help="scene id to use as 'before' for every polygon")
    p.add_argument("--after", type=int, help="scene id to use as 'after' for every polygon")
    p.add_argument("--actor")
    p.add_argument("--system", action="store_true", help="an administrator on the server")

    p = isub.add_parser("detect", help="candidate change polygons where NDVI fell, as a 自动检测 batch")
    common(p)
    p.add_argument("--before", type=int, required=True, help="scene id (older)")
    p.add_argument("--after", type=int, required=True, help="scene id (newer)")
    p.add_argument("--threshold", type=float, default=0.2, help="NDVI drop (default 0.2)")
    p.add_argument("--min-area-mu", type=float, default=1.0, help="minimum mapping unit in 亩 (default 1)")
    p.add_argument("--name", help="batch name (default: dates, threshold and scenes)")
    p.add_argument("--kind", choices=["forest", "grassland"], default="forest")
    p.add_argument("--dry-run", action="store_true", help="detect and count; store nothing")
    p.add_argument("--actor", help="the account making the change (its role and counties apply)")
    p.add_argument("--system", action="store_true", help="an administrator on the server (recorded as system:<os user>)")

    p = isub.add_parser("chips", help="before/after chips of one polygon as PNG files")
    common(p)
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--kind", choices=["rgb", "ndvi"], default="rgb")
    p.add_argument("--out", required=True, help="folder for the PNG files")
    p.add_argument("--actor")

    p = isub.add_parser("sheet", help="the 图斑核查表 of one polygon (.docx)")
    common(p)
    p.add_argument("--id", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--actor")

    p = isub.add_parser("regreen", help="re-greening check (回头看) of re-vegetated polygons and restoration areas")
    common(p)
    p.add_argument("--county", action="append", help="only this county code (repeatable)")
    p.add_argument("--items", action="store_true", help="create rectification items for those that did not green")
    p.add_argument("--deadline", help="deadline of the created items (YYYY-MM-DD)")
    p.add_argument("--actor")
    p.add_argument("--system", action="store_true", help="an administrator on the server")

    bm = sub.add_parser("basemap", help="offline basemap tile archives from GeoTIFFs")
    bsub = bm.add_subparsers(dest="verb", required=True, metavar="VERB")
    p = bsub.add_parser("build", help="build a tile archive (MBTiles) from one or more GeoTIFFs")
    common(p)
    p.add_argument("paths", nargs="+", help="GeoTIFF/COG files (mosaicked in order)")
    p.add_argument("--out", required=True, help="archive name (letters, digits, - and _), e.g. xam-2024")
    p.add_argument("--format", choices=["mbtiles"], default="mbtiles")
    p.add_argument("--label", help="name shown in the map's layer picker")
    p.add_argument("--bands", help="bands to show as red,green,blue (e.g. 3,2,1; default: the file's RGB)")
    p.add_argument("--minzoom", type=int)
    p.add_argument("--maxzoom", type=int)
    p.add_argument("--tile-format", choices=["webp", "png", "jpg"], default="webp")
    p.add_argument("--force", action="store_true", help="replace an archive of that name")
    p = bsub.add_parser("list", help="the tile archives of the tiles folder")
    common(p)


def _print(obj, as_json: bool, text: str | None = None) -> None:
    if as_json or text is None:
        print(json.dumps(obj, ensure_ascii=False, default=str))
    else:
        print(text)


WRITES = {"add": True, "detect": True, "ndvi": True, "regreen": False}


def _scoped(store, args):
    """The store as ``--actor`` may use it; changes name an account or --system (geo.access.actors)."""

    write = WRITES.get(args.verb, False) or (args.verb == "regreen" and getattr(args, "items", False))
    if args.verb == "detect" and getattr(args, "dry_run", False):
        write = False
    store, _access, actor = resolve(store, getattr(args, "actor", None), getattr(args, "system", False),
                                    write=write, default_system=True)
    if actor:
        args.actor = actor
    return store


def run(args, settings) -> int:
    """Run an ``imagery`` or ``basemap`` command; return the exit code (errors are raised as
    :class:`~geo.core.errors.GeoError` for ``geo.cli.main.main`` to print)."""
    zh = settings.lang == "zh"
    if args.command == "basemap":
        return _basemap(args, settings, zh)

    store = _scoped(open_store(settings.db), args)
    folder = settings.imagery_dir
    if args.verb == "add":

        added = SC.add(store, args.path, folder=folder, actor=args.actor, date=args.date, sensor=args.sensor,
                       bands=args.bands, ndvi_band=args.ndvi_band, scale=args.scale, offset=args.offset,
                       nodata=args.nodata, name=args.name)
        rows = [{"id": s.id, "name": s.name, "date": s.acquired_on.isoformat(), "sensor": s.sensor,
                 "ndvi": s.can_ndvi, "rgb": s.can_rgb, "path": s.path} for s in added]
        text = "\n".join((f"已登记影像 #{r['id']}：{r['name']}（{r['date']}，{r['sensor'] or '未注明传感器'}）"
                          if zh else f"registered scene #{r['id']}: {r['name']} ({r['date']})") for r in rows)
        away = SC.outside(store, added)
        if away:
            text += "\n" + ("注意：以下影像不覆盖本辖区任何旗县，请核对坐标系：" if zh else
                            "note: these scenes cover none of the counties; check their coordinates: ") + \
                "、".join(s.name for s in away)
        _print({"added": rows, "outside": [s.id for s in away]}, args.json, text)
        return 0
    if args.verb == "list":

        scenes = SC.visible(store)  # (an --actor sees only the scenes meeting their counties)
        if args.county:
            wanted = {s.id for s in SC.for_counties(store, args.county)}
            scenes = [s for s in scenes if s.id in wanted]
        rows = [{"id": s.id, "name": s.name, "date": s.acquired_on.isoformat(), "sensor": s.sensor,
                 "bands": s.bands, "ndvi_band": s.ndvi_band, "res_m": s.res_m, "size": [s.width, s.height],
                 "bounds": [round(v, 5) for v in s.bounds], "synthetic": s.synthetic, "path": s.path}
                for s in scenes]
        text = "\n".join(f"#{r['id']:<4} {r['date']}  {r['sensor'] or '-':<10} {r['res_m']:>7.1f} m  "
                         f"{r['size'][0]}×{r['size'][1]}  {r['name']}{'  (合成影像)' if r['synthetic'] else ''}"
                         for r in rows) or ("没有登记的影像" if zh else "no scenes")
        _print({"scenes": rows}, args.json, text)
        return 0
    if args.verb == "ndvi":

        out = zonal.batch_ndvi(store, args.batch, folder=folder, before=args.before, after=args.after)
        text = (f"批次 #{out['batch_id']}：{out['polygons']} 个图斑，已计算 {out['computed']} 个，无影像覆盖 "
                f"{out['no_imagery']} 个；NDVI 下降超过 0.2 的 {out['fell_0_2']} 个（影像 {out['scenes']}）"
                if zh else json.dumps(out))
        _print(out, args.json, text)
        return 0
    if args.verb == "detect":

        out = detect.run(store, args.before, args.after, actor=args.actor, threshold=args.threshold,
                         min_area_mu=args.min_area_mu, folder=folder, name=args.name, kind=args.kind,
                         dry_run=args.dry_run)
        if zh:
            text = (f"检测到 {out['found']} 处 NDVI 显著下降区域，其中 {out['already_issued']} 处与已下发图斑重叠；"
                    + (f"已登记候选批次 #{out['batch_id']}（来源：自动检测），{out['stored']} 个图斑"
                       if out.get("batch_id") else "未登记新批次"))
        else:
            text = json.dumps(out, ensure_ascii=False)
        _print(out, args.json, text)
        return 0
    if args.verb == "chips":

        feat = store.get_feature("change", args.id)
        shots = chips.chips_for(store, feat, kind=args.kind, folder=folder, lang=settings.lang)
        out_dir = Path(args.out)
        out_dir.mkdir(parents=True, exist_ok=True)
        files = []
        for k, (caption, png) in enumerate(shots):
            f = out_dir / f"{args.id}_{args.kind}_{'before' if k == 0 else 'after'}.png"
            f.write_bytes(png)
            files.append({"file": str(f), "caption": caption})
        _print({"id": args.id, "chips": files}, args.json,
               "\n".join(f"{f['file']}  {f['caption']}" for f in files) or ("没有覆盖该图斑的影像" if zh else "no imagery"))
        return 0
    if args.verb == "sheet":

        path = sheet.write(store, args.id, args.out, folder=folder, lang=settings.lang)
        _print({"id": args.id, "out": str(path)}, args.json, str(path))
        return 0
    if args.verb == "regreen":

        rows = regreen.check(store, counties=args.county, folder=folder)
        out = {"checked": int(len(rows)), "figures": regreen.figures_from(rows)}
        if args.items:
            out["items"] = regreen.to_items(store, rows, actor=args.actor, deadline=args.deadline)
        failed = rows[rows["verdict"] == "not_greened"] if len(rows) else rows
        out["not_greened"] = [{"layer": r["layer"], "id": int(r["id"]), "label": r["label"], "county": r["county"],
                               "gain": r["gain"], "gap": r["gap"]} for r in failed.to_dict("records")]
        text = "\n".join([f"核查 {out['checked']} 个地块，未复绿 {len(out['not_greened'])} 个"]
                         + [f"  {r['label']}（{r['county']}）NDVI 增幅 {r['gain']:+.2f}，低于周边 {-r['gap']:.2f}"
                            for r in out["not_greened"]]) if zh else None
        _print(out, args.json, text)
        return 0
    raise AssertionError(args.verb)


def _basemap(args, settings, zh: bool) -> int:

    if args.verb == "list":
        rows = basemap.available(settings.tiles_dir)
        _print({"archives": rows}, args.json, "\n".join(f"{r['name']}  {r['label']}  z{r['minzoom']}–{r['maxzoom']}"
                                                        for r in rows) or ("没有瓦片底图" if zh else "no archives"))
        return 0
    bands = [int(b) for b in args.bands.split(",")] if args.bands else None
    log = (lambda *a: None) if args.json else (lambda msg: print(msg, file=sys.stderr))
    out = basemap.build(args.paths, args.out, folder=settings.tiles_dir, label=args.label, bands=bands,
                        minzoom=args.minzoom, maxzoom=args.maxzoom, tile_format=args.tile_format,
                        force=args.force, log=log)
    _print(out, args.json, (f"已生成瓦片底图 {out['name']}：{out['tiles']} 个瓦片，层级 {out['minzoom']}–{out['maxzoom']}，"
                            f"文件 {out['path']}") if zh else None)
    return 0
