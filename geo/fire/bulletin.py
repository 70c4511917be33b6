"""The fire-prevention paragraph of the bulletin, in the seeds' words:

    "强化森林防火基础设施隐患排查治理，督促属地落实整改措施及整改时限，及时消除森林防火隐患33处，
    清理森林防火阻隔带166公里。…2025年新建路口监控一批"

Each register's rules hold its own sentence (``bulletin(figures, ctx)`` in
:mod:`geo.fire.cameras`, :mod:`geo.fire.hazards`, :mod:`geo.fire.breaks`); :func:`paragraph`
joins them into one paragraph from the ``registers`` figures of ``stats``.
"""

from __future__ import annotations

from geo.fire import breaks, cameras, hazards


def paragraph(registers: dict, ctx: dict | None = None) -> str | None:
    """One paragraph from ``stats['registers']`` (``camera``, ``hazard``, ``firebreak``), or None
    when the store holds none of them."""
    parts = [hazards.bulletin(registers.get("hazard") or {}, ctx),
             breaks.bulletin(registers.get("firebreak") or {}, ctx),
             cameras.bulletin(registers.get("camera") or {}, ctx)]
    parts = [p for p in parts if p]
    if not parts:
        return None
    return "森林草原防火方面：" + "".join(parts)
