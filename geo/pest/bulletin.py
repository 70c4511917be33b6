"""The pine-wilt paragraph of the bulletin, in the seeds' words:

    "对开展的所有疫木除治项目再次核对业务资质证书，防止无资质施工。…就地打包处理疫木，…对区内松材线虫病
    枯死木开展即死即清、动态清零。…就地加装碎木机进行疫木破碎处理。"

The dead trees' rules hold the main sentence (:func:`geo.pest.trees.bulletin`), the sites'
rules theirs (:func:`geo.pest.sites.bulletin`); :func:`paragraph` joins them from the
``registers`` figures of ``stats``.
"""

from __future__ import annotations

from geo.pest import sites, trees


def paragraph(registers: dict, ctx: dict | None = None) -> str | None:
    parts = [trees.bulletin(registers.get("deadtree") or {}, ctx), sites.bulletin(registers.get("pest_site") or {}, ctx)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    return "松材线虫病防控方面：" + "".join(parts)
