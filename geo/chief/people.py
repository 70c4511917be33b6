"""林长名册: the people of the forest-chief system and the posts they hold (一长两员).

* A **person** (``person``) is someone with a name, a unit and a phone.
* A **post** (``post``) is a place in the system — a level (盟/旗县/苏木乡镇/嘎查村/网格), a role
  (林长 / 副林长 / 监管员 / 护林员), a title ("突泉县人民政府县长") and the responsibility zone it
  answers for. Who holds it changes; the post stays. Appointing someone is an event on the post
  with its date (``appoint``), so the history says who held which post from when to when
  (:func:`geo.chief.chiefs.tenures`), figures "as of" a date use the holder of that date, and a
  signboard showing a post goes stale when its holder changes after the board was last updated.
"""

from __future__ import annotations

from geo.declare.base import COMMON, DATE, INT, TEXT, WHERE, Figure, Layer, Operation, Transition, _f

LEVELS = ("league", "banner", "township", "village", "grid")
ROLES = ("chief", "deputy", "supervisor", "ranger")
LABELS = {
    "role": {"chief": ("林长", "Forest chief"), "deputy": ("副林长", "Deputy chief"),
             "supervisor": ("监管员", "Supervisor"), "ranger": ("护林员", "Ranger")},
    "status": {"left": ("已离任", "Left"), "filled": ("在岗", "Filled"), "vacant": ("空缺", "Vacant")},
}

PERSON = Layer(
    key="person",
    table="people",
    geometry=None,
    zh="人员",
    en="People",
    statuses=("active", "left"),
    initial_status="active",
    label_field="name",
    group="chief",
    icon=":material/badge:",
    writers=("admin", "staff"),
    attributed=False,
    list_fields=("name", "unit", "phone", "county", "status"),
    fields=(
        _f("name", TEXT, "姓名", "Name", "姓名", "名字", "林长姓名", "NAME", required=True),
        _f("unit", TEXT, "工作单位", "Unit", "单位", "工作单位", "所在单位"),
        _f("job", TEXT, "行政职务", "Job title", "行政职务", "现任职务"),
        _f("phone", TEXT, "联系电话", "Phone", "电话", "联系电话", "手机", "联系方式"),
        *WHERE,
        _f("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    transitions=(
        Transition(("active",), "left", "离任", "Left the system", comment=True),
        Transition(("left",), "active", "重新任用", "Back in the system"),
    ),
    figures=(Figure("people", "人员", "People", where={"status": "active"}),),
    labels=LABELS,
)

POST = Layer(
    key="post",
    table="posts",
    geometry=None,
    zh="林长及护林员岗位",
    en="Posts",
    statuses=("filled", "vacant"),
    initial_status="vacant",
    label_field="title",
    group="chief",
    icon=":material/account_tree:",
    writers=("admin", "staff"),
    attributed=False,
    rules="geo.chief.chiefs",
    list_fields=("title", "level", "role", "holder_name", "holder_since", "county", "status"),
    fields=(
        _f("title", TEXT, "职务名称", "Post title", "职务", "林长职务", "岗位", "职务名称", required=True),
        _f("level", TEXT, "级别", "Level", "级别", "林长级别", "层级", options=LEVELS, required=True),
        _f("role", TEXT, "类别", "Role", "类别", "身份", "岗位类别", options=ROLES, required=True),
        _f("zone_id", INT, "责任区", "Responsibility zone", ref="zone"),
        _f("zone_name", TEXT, "责任区名称", "Zone name", "责任区", "责任区域", "网格", "责任区名称"),
        _f("holder_id", INT, "现任人员", "Holder", internal=True),
        _f("holder_name", TEXT, "现任姓名", "Holder's name", "姓名", "林长姓名", "护林员姓名"),
        _f("holder_since", DATE, "任职日期", "Holder since", "任职时间", "任职日期", "上任时间"),
        _f("duties", TEXT, "职责", "Duties", "职责", "林长职责"),
        _f("phone", TEXT, "联系电话", "Phone", "电话", "联系电话", "手机"),
        *WHERE,
        _f("note", TEXT, "备注", "Note", "备注"),
        *COMMON,
    ),
    operations=(
        Operation("appoint", "任职/换人", "Appoint", "geo.chief.chiefs:op_appoint", fields=(
            _f("holder_id", INT, "任职人员", "Person", ref="person", required=True),
            _f("holder_since", DATE, "任职日期", "From"),
        )),
        Operation("vacate", "离任（岗位空缺）", "Leave vacant", "geo.chief.chiefs:op_vacate", statuses=("filled",),
                  fields=(_f("holder_since", DATE, "离任日期", "From"),)),
    ),
    figures=(
        Figure("posts", "岗位", "Posts"),
        Figure("vacant", "空缺岗位", "Vacant posts", where={"status": "vacant"}),
        Figure("chiefs", "林长", "Forest chiefs", where={"role": ["chief", "deputy"], "status": "filled"}),
        Figure("rangers", "护林员", "Rangers", where={"role": "ranger", "status": "filled"}),
        Figure("supervisors", "监管员", "Supervisors", where={"role": "supervisor", "status": "filled"}),
    ),
    labels=LABELS,
)

REGISTERS = (PERSON, POST)


# ------------------------------------------------------------------------------ demo
ROLE_OF = {"league": "总林长", "banner": "总林长", "township": "林长", "village": "林长"}


def demo(store, tx, ctx) -> int:
    """People and posts from the demo's zones (一长两员: a chief and a supervisor per zone, rangers in
    villages), boards tied to their zone's chief post, and a few chiefs replaced in 2024 — so some
    boards now show someone who left (the stale check works on real post changes)."""
    import datetime as dt
    import json

    import geopandas as gpd
    import pandas as pd

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
