"""The demo's bulletin settings and recorded actions, from the seeds' bulletin of the 兴安盟林业和草原局
党组 (``../shared/seeds/000``): for ``geo.demo.build.build`` to call (``seed(store)``), so that the demo's
bulletin of 2023-12-09 has the seeds' provenance and a section 一 drafted from what the bureau did."""

from __future__ import annotations
from geo.report import records
from geo.report import settings as rs

SETTINGS = {
    "genre": "inspection", "issuer": "中共兴安盟林业和草原局党组", "subject": "兴安盟委第四轮（专项）巡察",
    "authority": "兴安盟委", "team": "盟委第三巡察组", "inspection_kind": "专项巡察",
    "inspected": "兴安盟林业和草原局党组", "inspection_start": "2023-04-25", "inspection_end": "2023-06-25",
    "feedback_date": "2023-08-17",
}
ACTIONS = [  # (date, kind, what was done, document number)
    ("2023-07-24", "group", "成立局巡察整改工作领导小组，党组书记任组长，班子成员任副组长，统筹组织协调各项整改工作", None),
    ("2023-08-22", "meeting", "召开党组（扩大）会议部署整改工作，建立巡察反馈问题专项台账", None),
    ("2023-08-30", "document", "经局党组会研究通过《2023年度林草长制考核方案》", None),
    ("2023-09-12", "inspection", "向盟级林草长发出工作提示单7份，各包片副林草长按照责任区分工开展巡林巡草督导检查", None),
    ("2023-09-12", "system", "联合盟检察分院印发《关于建立健全全盟林草行政执法与检察公益诉讼协作机制的实施》",
     "兴检发〔2023〕12号"),
    ("2023-09-24", "system", "与五岔沟、白狼林业局签订行政执法委托书，共委托林业行政处罚107项", None),
    ("2023-10-31", "meeting", "推动召开全盟林草长制联席扩大会议，压实各成员单位责任", None),
]


def seed(store, actor: str = "staff") -> None:
    """Save the seeds' provenance and record the seeds' actions (idempotent for a new store)."""

    rs.save(store, SETTINGS, actor=actor)
    if records.actions(store).empty:
        for day, kind, title, doc_no in ACTIONS:
            records.add_action(store, on_date=day, kind=kind, title=title, doc_no=doc_no, actor=actor)
