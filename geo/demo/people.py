"""Demo records of the chiefs' posts and people (一长两员 per zone), on the demo's zones."""

from __future__ import annotations

import datetime as dt
import json

import geopandas as gpd
import pandas as pd

from geo.chief.people import ROLE_OF

def build(store, tx, ctx) -> int:
    """People and posts from the demo's zones (一长两员: a chief and a supervisor per zone, rangers in
    villages), boards tied to their zone's chief post, and a few chiefs replaced in 2024 — so some
    boards now show someone who left (the stale check works on real post changes)."""
    rng, zones = ctx["rng"], ctx["zones"]
    at = "2021-03-01T01:00:00Z"
    people, posts = [], []
    for z in zones.to_dict("records"):
        where = {"county_code": z.get("county_code"), "county": z.get("county"), "township": z.get("township")}
        where = {k: (None if isinstance(v, float) else v) for k, v in where.items()}
        crew = [("chief", z.get("chief_name"), z.get("chief_post")),
                ("supervisor", z.get("supervisor"), f"{z['name']}监管员")]
        rangers = z.get("rangers") if isinstance(z.get("rangers"), str) else ""
        crew += [("ranger", r, f"{z['name']}护林员") for r in rangers.split("、") if r]
        for role, name, title in crew:
            if not name or (isinstance(name, float)):
                continue
            phone = f"1{int(rng.choice([35, 38, 39, 50, 51, 58, 80]))}{int(rng.integers(10000000, 99999999))}"
            place = z.get("township") if isinstance(z.get("township"), str) else (z.get("county") if isinstance(z.get("county"), str) else None)
            unit = (f"{place or '兴安盟'}{'人民政府' if z['level'] in ('banner', 'township', 'league') else '村民委员会'}"
                    if role == "chief" else f"{place or '兴安盟'}林草工作站")
            people.append(dict(name=name, unit=unit or None, phone=phone, status="active", **where))
            posts.append(dict(title=title or f"{z['name']}{ROLE_OF.get(z['level'], '林长')}", level=z["level"] if z["level"] != "grid" else "village",
                              role=role, zone_id=int(z["id"]), zone_name=z["name"], holder_name=name,
                              holder_since="2021-03-01", phone=phone, status="filled",
                              duties="组织领导责任区域森林草原资源保护发展工作" if role == "chief" else None,
                              _person=len(people) - 1, **where))
    pframe = gpd.GeoDataFrame(pd.DataFrame(people), geometry=[None] * len(people), crs=4490)
    person_ids = store.insert_features(tx, "person", pframe, actor="staff", at=at, action="create",
                                       comment="导入林长名册", record_values=True)
    for p in posts:
        p["holder_id"] = int(person_ids[p.pop("_person")])
    post_frame = gpd.GeoDataFrame(pd.DataFrame(posts), geometry=[None] * len(posts), crs=4490)
    post_ids = store.insert_features(tx, "post", post_frame, actor="staff", at=at, action="create",
                                     comment="导入林长名册", record_values=True)
    chief_post = {int(p["zone_id"]): int(pid) for p, pid in zip(posts, post_ids) if p["role"] == "chief"}
    # boards show their zone's chief post; their content dates from installation
    for zid, pid in chief_post.items():
        tx.execute("UPDATE signboards SET post_id = ?, content_on = installed_on WHERE zone_id = ?", [pid, zid])
    # 2024: four village chiefs replaced (appointment events dated then)
    candidates = [pid for p, pid in zip(posts, post_ids) if p["role"] == "chief" and p["level"] == "village"]

    for k, pid in enumerate(rng.choice(candidates, min(4, len(candidates)), replace=False)):
        since = (dt.date(2024, 3, 1) + dt.timedelta(days=int(rng.integers(0, 200)))).isoformat()
        name = "新任" + str(rng.choice(list("王李张刘陈杨赵黄周吴"))) + str(rng.choice(list("建国海军志强明华春林")))
        new = store.insert_features(tx, "person", gpd.GeoDataFrame(
            pd.DataFrame([dict(name=name, phone=f"139{int(rng.integers(10000000, 99999999))}", status="active")]),
            geometry=[None], crs=4490), actor="staff", at=f"{since}T01:00:00Z", action="create",
            comment="新任林长", record_values=True)[0]
        row = tx.query_one("SELECT holder_name, version FROM posts WHERE id = ?", [int(pid)])
        tx.execute("UPDATE posts SET holder_id = ?, holder_name = ?, holder_since = ?, version = version + 1 "
                   "WHERE id = ?", [int(new), name, since, int(pid)])
        store.add_events(tx, [("post", int(pid), f"{since}T02:00:00Z", "staff", "appoint", "filled", "filled",
                               json.dumps({"holder_id": int(new), "holder_name": name, "holder_since": since},
                                          ensure_ascii=False), f"任职：{name}（前任：{row[0]}）", None, int(row[1]) + 1)])
    return len(people) + len(posts)
