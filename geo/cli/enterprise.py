"""``python -m geo enterprise borders`` and ``python -m geo sample draw|verify``: the wood-processing
enterprises' forest border, and the yearly source-of-wood sample."""

from __future__ import annotations

import argparse

from geo.cli.common import emit
from geo.core.errors import ValidationError
from geo.enterprise.enterprises import refresh_borders
from geo.enterprise.samples import draw_sample, verify


def add_enterprise_parsers(sub, common, writer, reader) -> None:
    p = sub.add_parser("enterprise", help="wood-processing enterprises: recompute the forest border from the 小班 layer")
    common(p)
    writer(p)
    p.add_argument("action", choices=["borders"])


def run_enterprise(args, settings, store, access, actor):
    if args.command != "enterprise":
        return None
    emit(refresh_borders(store, actor=actor, access=access), args.json)
    return 0


class _Verb(argparse.Action):
    """``draw`` changes the store (an account or --system); ``verify`` only reads."""

    def __call__(self, parser, namespace, value, option_string=None):
        setattr(namespace, self.dest, value)
        namespace.reads = value == "verify"


def add_sample_parsers(sub, common, writer, reader) -> None:
    p = sub.add_parser("sample", help="the yearly source-of-wood sample of wood-processing enterprises: draw "
                                      "(at least the configured share, stratified by township, reproducible from "
                                      "the seed) or verify a recorded one")
    common(p)
    writer(p)
    p.add_argument("sample_command", choices=["draw", "verify"], action=_Verb)
    p.add_argument("--year", type=int, help="draw: the year")
    p.add_argument("--county", help="draw: county code (default: the whole league)")
    p.add_argument("--seed", type=int, help="draw: default drawn from the operating system and recorded")
    p.add_argument("--share", type=float, help="draw: default the setting enterprise_sample_share")
    p.add_argument("--comment")
    p.add_argument("--id", type=int, help="verify: the sample record")


def run_sample(args, settings, store, access, actor):
    if args.command != "sample":
        return None
    if args.sample_command == "draw":
        if args.year is None:
            raise ValidationError("sample draw needs --year", "抽取名单需要 --year 年度", option="year")
        sid = draw_sample(store, args.year, actor=actor, access=access, county_code=args.county, seed=args.seed,
                          share=args.share, comment=args.comment)
        rec = store.get_feature("enterprise_sample", sid)
        emit({"id": sid, "year": rec["year"], "county_code": rec.get("county_code"), "seed": rec["seed"],
              "share": rec["share"], "population": rec["population"], "size": rec["size"], "ids": rec["ids"],
              "strata": rec["strata"], "method": rec["method"]}, args.json)
        return 0
    if args.id is None:
        raise ValidationError("sample verify needs --id", "复核名单需要 --id 名单编号", option="id")
    out = verify(store, args.id)
    emit(out, args.json)
    return 0 if out["ids_match"] else 1


