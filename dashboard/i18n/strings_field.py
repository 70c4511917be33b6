"""UI strings of the upload's declarations, the patrol import form, the implausible stretches of
tracks, the zone check and the zones' patrol coverage (key -> (zh, en))."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # upload: declared source and purpose, rows outside the jurisdiction
    "up.purpose_hint_official": ("提示：自动检测的图斑一般先作为“候选”，审核后再转为正式。",
                                 "Note: automatically detected polygons are usually a candidate batch first."),
    "up.purpose_hint_counted": ("提示：只有“正式”批次计入统计；候选批次经审核转为正式后才计入。",
                                "Note: only official batches count in the figures; a candidate counts once promoted."),
    "up.gpx_elsewhere": ("GPX 巡护轨迹请在“公示牌·巡护·修复 → 巡护轨迹”页导入：那里填写巡护人员、林长层级和巡护期间。",
                         "Import GPX patrol tracks on “Signboards · patrols · restoration → Patrols” (patroller, "
                         "level and period)."),
    "up.outside_warn": ("有 {n} 个要素不在本辖区任何旗县范围内（见问题清单中的“不在本库任何旗县范围内”）。作为正式批次导入后，"
                        "它们不计入领导驾驶舱、通报和台账的统计。请先检查坐标系和所属旗县。",
                        "{n} feature(s) lie outside every county of the jurisdiction (see the problem list). In an "
                        "official batch they are stored but not counted in the figures, bulletins or ledgers. Check "
                        "the CRS and the counties first."),
    "up.outside_confirm": ("确认将这 {n} 个辖区外要素导入正式批次", "Store these {n} features outside the jurisdiction "
                                                                 "in the official batch"),
    # patrols: the import form
    "pt.import": ("导入巡护轨迹", "Import patrol tracks"),
    "pt.import_help": ("GPX、KML 或 CSV（经度、纬度、时间、巡护人）轨迹文件，可多个或打包为 zip。",
                       "GPX, KML or CSV (lon, lat, time, person) track files, several or zipped."),
    "pt.patroller": ("巡护人员", "Patroller"),
    "pt.patroller_ph": ("不填则取文件中的巡护人或轨迹名称", "Empty: the person the file names, else the track's name"),
    "pt.level": ("林长层级", "Level"),
    "pt.period": ("巡护期间", "Period"),
    "pt.period_help": ("轨迹开始时间不在此期间内的，列为提示", "A track started outside it is listed as a hint"),
    "pt.files": ("轨迹文件", "Track files"),
    "pt.batch": ("批次名称（可不填）", "Batch name (optional)"),
    "pt.batch_ph": ("不填则按巡护人员、层级和期间命名", "Empty: named after patroller, level and period"),
    "pt.check": ("检查", "Check"),
    "pt.store": ("导入 {n} 条轨迹", "Import {n} track(s)"),
    "pt.no_files": ("请先选择轨迹文件（GPX、KML、CSV 或 zip）", "Choose the track files first (GPX, KML, CSV or zip)"),
    "pt.no_level": ("请选择林长层级", "Choose the level"),
    "pt.no_period": ("请选择巡护期间（开始和结束日期）", "Choose the period (first and last day)"),
    "pt.checked": ("读取 {read} 条轨迹，可导入 {n} 条，有提示 {flagged} 条；尚未写入，确认后点“导入”。",
                   "Read {read} track(s), {n} to store, {flagged} with hints; nothing written yet."),
    "pt.done": ("已导入巡护轨迹批次 #{id}：{n} 条", "Stored patrol batch #{id}: {n} track(s)"),
    "pt.no_permission": ("导入巡护轨迹需要数据管理员或系统管理员账号。", "Importing tracks needs a data staff or "
                                                                "administrator account."),
    # patrols: implausible stretches
    "pt.details": ("轨迹详情", "Track details"),
    "pt.excluded": ("不可信段", "Implausible stretches"),
    "pt.excluded_km": ("剔除里程(公里)", "Left out (km)"),
    "pt.excluded_note": ("红色虚线为不可信段（速度超过上限或定位跳点），已剔除 {km} 公里，不计入里程和覆盖；其余轨迹可信。",
                         "Dashed red: implausible stretches (too fast, or a GPS jump); {km} km left out of the length "
                         "and coverage. The rest of the track is trusted."),
    "pt.reasons": ("不可信原因：{r}", "Why not trusted: {r}"),
    # zones: check and coverage
    "field.zones": ("责任区核查", "Zone check"),
    "field.coverage": ("巡护覆盖", "Patrol coverage"),
    "zc.intro": ("检查现行责任区：辖区内没有责任区覆盖的空白（缺口）、同一层级责任区之间的重叠，以及超出上级责任区的部分"
                 "（小于 {tol} 亩的碎片不计）。", "The zones in force: land of a county no zone of a level covers "
                 "(gaps), zones of one level that overlap, and parts outside the parent zone (slivers under {tol} mu "
                 "are not reported)."),
    "zc.county": ("旗县", "County"),
    "zc.gaps": ("缺口", "Gaps"),
    "zc.overlaps": ("重叠", "Overlaps"),
    "zc.outside_parent": ("超出上级", "Outside parent"),
    "zc.area": ("面积(亩)", "Area (mu)"),
    "zc.none": ("未发现缺口或重叠。", "No gaps or overlaps found."),
    "zc.no_zones": ("本辖区还没有现行的责任区。", "No zones in force in your counties."),
    "zc.kind": ("问题", "Problem"),
    "zc.level": ("层级", "Level"),
    "zc.zones": ("涉及责任区", "Zones"),
    "zc.not_for_role": ("责任区核查供数据管理员和系统管理员使用。", "The zone check is for data staff and administrators."),
    "cv.level": ("责任区层级", "Zone level"),
    "cv.period": ("期间", "Period"),
    "cv.share": ("覆盖率(%)", "Covered (%)"),
    "cv.cells": ("网格数", "Cells"),
    "cv.visited": ("已巡护网格", "Cells visited"),
    "cv.tracks": ("轨迹数", "Tracks"),
    "cv.km": ("里程(公里)", "km"),
    "cv.zone": ("责任区", "Zone"),
    "cv.help": ("按 1 公里网格计：期间内开始的轨迹（不含不可信段）经过的网格占责任区网格的比例。",
                "Per 1 km cell: the share of a zone's cells crossed by tracks started in the period (implausible "
                "stretches left out)."),
    "cv.none": ("所选层级没有现行责任区。", "No zones in force at this level."),
}
