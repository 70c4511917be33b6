"""松材线虫病防控: dead pine trees (疫木), the contractors who remove them, and epidemic sites (疫点).

* **Dead trees** (``deadtree``, points or plots): survey date, count, species, sampled and test
  result; removal method (打包 / 就地粉碎 / 烧毁 / 其他), contractor and qualification certificate,
  removal date. "即死即清": a tree is due ``pine_clear_days`` (setting) after it was found; open
  ones past that are overdue, removals after it are flagged (:mod:`geo.pest.trees`).
* **Contractors** (``pest_contractor``): the units that do the removal, with their qualification
  certificate and its validity ("核对业务资质证书，防止无资质施工"); the certificate is checked on the
  removal date (:mod:`geo.pest.contractors`). One list for the league (no county): every county
  picks from it.
* **Epidemic sites** (``pest_site``, polygons): listed → revoked, with their status year by year
  (an ``annual`` check per year, and the dead trees found inside each year) (:mod:`geo.pest.sites`).
"""

from __future__ import annotations

from geo.declare.base import (
    AREA, BOOL, COMMON, DATE, INT, TEXT, WHERE, ZONED, Deadline, Figure, Layer, Operation, Transition, fld,
)

VILLAGE = fld("village", TEXT, "嘎查村", "Village", "村", "嘎查村", "CUN", "所在村")
NOTE = fld("note", TEXT, "备注", "Note", "备注", "说明")
METHODS = ("bagging", "chipping", "burning", "other")
RESULTS = ("positive", "negative", "pending")
WRITERS = ("admin", "staff", "inspector")

LABELS = {
    "method": {"bagging": ("打包", "Bagging"), "chipping": ("就地粉碎", "On-site chipping"),
               "burning": ("烧毁", "Burning"), "other": ("其他", "Other")},
    "test_result": {"positive": ("阳性", "Positive"), "negative": ("阴性", "Negative"),
                    "pending": ("待检", "Pending")},
    "last_year_status": {"new": ("新发疫情", "New outbreak"), "ongoing": ("疫情持续", "Ongoing"),
                    "none": ("当年无疫情", "No cases this year")},
    "status": {"removed": ("已清理", "Removed"), "listed": ("在册疫点", "Listed"), "revoked": ("已撤销", "Revoked"),
               "barred": ("暂停承接", "Barred")},
    "flag": {"cert_expired": ("清理日资质证书已过期", "Certificate expired on the removal date"),
             "cert_missing": ("缺少施工单位资质证书", "No qualification certificate"),
             "late_removal": ("超过即死即清期限（天）", "Removed after the deadline (days)"),
             "contractor_barred": ("施工单位已暂停承接", "Contractor barred")},
}

CONTRACTOR = Layer(
    key="pest_contractor",
    table="pest_contractors",
    geometry=None,
    zh="疫木除治施工单位",
    en="Removal contractors",
    statuses=("active", "barred"),
    initial_status="active",
    label_field="name",
    group="pest",
    icon=":material/engineering:",
    writers=("admin", "staff"),
    attributed=False,
    rules="geo.pest.contractors",
    list_fields=("name", "cert_no", "cert_valid_from", "cert_valid_to", "contact", "phone", "status"),
    fields=(
        fld("name", TEXT, "单位名称", "Name", "单位名称", "施工单位", "除治单位", "企业名称", "名称", required=True),
        fld("credit_code", TEXT, "统一社会信用代码", "Credit code", "统一社会信用代码", "信用代码"),
        fld("cert_no", TEXT, "资质证书编号", "Certificate no.", "资质证书编号", "证书编号", "资质证号", required=True),
        fld("cert_kind", TEXT, "资质类别", "Certificate", "资质类别", "资质名称", "资质等级"),
        fld("cert_valid_from", DATE, "有效期起", "Valid from", "有效期起", "发证日期", "有效期开始"),
        fld("cert_valid_to", DATE, "有效期至", "Valid to", "有效期至", "有效期截止", "证书有效期", "有效期", required=True),
        fld("contact", TEXT, "联系人", "Contact", "联系人", "负责人"),
        fld("phone", TEXT, "联系电话", "Phone", "联系电话", "电话"),
        fld("address", TEXT, "地址", "Address", "地址", "注册地址", "住所"),
        NOTE,
        *COMMON,
    ),
    transitions=(
        Transition(("active",), "barred", "暂停承接（不良行为）", "Bar", comment=True),
        Transition(("barred",), "active", "恢复承接", "Reinstate", comment=True),
    ),
    figures=(
        Figure("contractors", "除治施工单位", "Contractors", where={"status": "active"}),
        Figure("certs_expired", "资质过期单位", "Certificates expired", kind="custom"),
    ),
    labels=LABELS,
)

DEADTREE = Layer(
    key="deadtree",
    table="pine_dead_trees",
    geometry="GEOMETRY",
    zh="松材线虫病枯死松树",
    en="Pine-wilt dead trees",
    statuses=("found", "removed", "accepted"),
    initial_status="found",
    final_statuses=("accepted",),
    label_field="tree_no",
    group="pest",
    icon=":material/forest:",
    writers=WRITERS,
    rules="geo.pest.trees",
    list_fields=("tree_no", "surveyed_on", "tree_count", "test_result", "method", "removed_on", "contractor",
                 "county", "status"),
    fields=(
        fld("tree_no", TEXT, "调查编号", "Survey no.", "编号", "枯死木编号", "疫木编号", "调查编号", "样株编号", "点位编号"),
        fld("surveyed_on", DATE, "调查日期", "Surveyed on", "调查日期", "发现日期", "监测日期", "普查日期", "调查时间",
           required=True),
        fld("tree_count", INT, "株数", "Trees", "株数", "枯死株数", "枯死松树株数", "数量", unit="株"),
        fld("species", TEXT, "树种", "Species", "树种", "松树种类"),
        fld("dbh_cm", INT, "胸径", "DBH", "胸径", unit="厘米"),
        fld("sampled", BOOL, "是否取样", "Sampled", "是否取样", "取样", "是否采样"),
        fld("test_result", TEXT, "检测结果", "Test result", "检测结果", "鉴定结果", "检测鉴定结果", options=RESULTS),
        fld("method", TEXT, "除治方式", "Removal method", "除治方式", "处理方式", "清理方式", "除治方法", options=METHODS),
        fld("contractor_id", INT, "施工单位（名录）", "Contractor (register)", ref="pest_contractor"),
        fld("contractor", TEXT, "施工单位", "Contractor", "施工单位", "除治单位", "作业单位", "清理单位"),
        fld("cert_no", TEXT, "资质证书编号", "Certificate no.", "资质证书编号", "证书编号", "资质证号"),
        fld("cert_valid_to", DATE, "资质有效期至", "Certificate valid to", "资质有效期", "证书有效期", "有效期至",
           "资质有效期至"),
        fld("removed_on", DATE, "清理日期", "Removed on", "清理日期", "除治日期", "清理时间", "除治时间"),
        *WHERE,
        VILLAGE,
        *ZONED,
        *AREA,
        NOTE,
        *COMMON,
    ),
    transitions=(
        Transition(("found",), "removed", "清理除治", "Record removal", requires=("method", "removed_on"),
                   optional=("contractor_id", "contractor", "cert_no", "cert_valid_to", "tree_count"), evidence=True),
        Transition(("removed",), "accepted", "检查验收", "Accept"),
        Transition(("removed",), "found", "验收不合格，重新清理", "Send back", comment=True),
    ),
    operations=(
        Operation("sample", "取样检测", "Sample and test", "geo.pest.trees:op_sample", statuses=("found", "removed"),
                  fields=(fld("test_result", TEXT, "检测结果", "Test result", options=RESULTS, required=True),)),
    ),
    stamps={"removed": {"removed_on": "today"}},
    deadline=Deadline(start="surveyed_on", days=10, days_setting="pine_clear_days", open_statuses=("found",)),
    figures=(
        Figure("found_trees", "发现枯死松树", "Dead trees found", kind="custom", unit="株"),
        Figure("removed_trees", "清理枯死松树", "Dead trees removed", kind="custom", unit="株"),
        Figure("outstanding", "待清理", "Awaiting removal", where={"status": "found"}),
        Figure("overdue", "超期未清理", "Overdue (即死即清)", kind="overdue"),
        Figure("late_removals", "超期清理", "Removed late", kind="custom"),
        Figure("unqualified", "资质不符的清理", "Removals without a valid certificate", kind="custom"),
        Figure("sampled", "取样检测", "Sampled", kind="custom", unit="株"),
        Figure("positive", "检测阳性", "Positive", kind="custom", unit="株"),
        Figure("removed_bagging", "打包处理", "Bagged", kind="custom", unit="株"),
        Figure("removed_chipping", "就地粉碎", "Chipped on site", kind="custom", unit="株"),
        Figure("removed_burning", "烧毁", "Burnt", kind="custom", unit="株"),
        Figure("removed_other", "其他方式", "Other methods", kind="custom", unit="株"),
    ),
    labels=LABELS,
)

SITE = Layer(
    key="pest_site",
    table="pine_wilt_sites",
    geometry="MULTIPOLYGON",
    zh="松材线虫病疫点",
    en="Pine-wilt epidemic sites",
    statuses=("listed", "revoked"),
    initial_status="listed",
    label_field="name",
    group="pest",
    stock=True,  # (what exists, not work: 台账 in the chief's view)
    icon=":material/coronavirus:",
    writers=("admin", "staff"),
    rules="geo.pest.sites",
    list_fields=("name", "listed_year", "last_year", "last_year_status", "area_mu", "county", "status"),
    fields=(
        fld("name", TEXT, "疫点名称", "Site", "疫点名称", "名称", "疫点", required=True),
        fld("listed_year", INT, "认定年度", "Listed in", "认定年度", "发生年度", "年度", "疫情发生年度"),
        fld("last_year", INT, "最近核查年度", "Last checked"),
        fld("last_year_status", TEXT, "最近核查状态", "Last status", options=("new", "ongoing", "none")),
        fld("revoked_on", DATE, "撤销日期", "Revoked on", "撤销日期"),
        fld("revoke_doc", TEXT, "撤销文号", "Revocation no.", "撤销文号", "文号"),
        *WHERE,
        VILLAGE,
        *ZONED,
        *AREA,
        NOTE,
        *COMMON,
    ),
    transitions=(
        Transition(("listed",), "revoked", "撤销疫点", "Revoke", requires=("revoked_on", "revoke_doc"), evidence=True),
        Transition(("revoked",), "listed", "重新认定", "List again", comment=True),
    ),
    operations=(
        Operation("annual", "年度核查", "Yearly check", "geo.pest.sites:op_annual", fields=(
            fld("last_year", INT, "核查年度", "Year", required=True),
            fld("last_year_status", TEXT, "当年状态", "Status that year", options=("new", "ongoing", "none"),
               required=True),
        )),
    ),
    figures=(
        Figure("sites", "在册疫点", "Listed sites", where={"status": "listed"}),
        Figure("revoked", "已撤销疫点", "Revoked sites", where={"status": "revoked"}),
        Figure("new_sites", "当年新增疫点", "New this year", kind="custom"),
    ),
    labels=LABELS,
)

REGISTERS = (CONTRACTOR, DEADTREE, SITE)
