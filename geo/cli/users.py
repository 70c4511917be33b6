"""``python -m geo users list|add|reset|disable|enable|lang``: accounts, by an administrator (``lang``:
the language an account's dashboard opens in, also by the account itself)."""

from __future__ import annotations

import sys

from geo.access.auth import Access, add_user, new_password, reset_password, set_disabled, set_language
from geo.cli.common import emit
from geo.core.errors import PermissionDenied, ValidationError


def run(store, args, access: Access | None) -> int:
    """``python -m geo users …``; ``access`` is the acting account (or the system operator)."""
    own = args.action == "lang" and access is not None and access.user == args.name
    if args.action != "list" and not own and (access is None or not access.is_admin):
        raise PermissionDenied(f"--actor '{args.actor}' is not an administrator", f"--actor “{args.actor}” 不是系统管理员")
    acc = access
    if args.action == "list":
        frame = store.users()
        emit(frame.to_dict("records"), args.json)
        return 0
    if not args.name:
        raise ValidationError("--name is required", "需要 --name 参数")
    if args.action == "add":
        password = args.password or new_password()
        add_user(store, acc, name=args.name, role=args.role or "inspector", password=password,
                 display_name=args.display_name, counties=args.county)
        emit({"user": args.name, "password": password}, args.json)
    elif args.action == "reset":
        password = args.password or new_password()
        reset_password(store, acc, args.name, password)
        emit({"user": args.name, "password": password}, args.json)
    elif args.action == "lang":
        set_language(store, acc, args.name, args.lang or "")
        emit({"user": args.name, "lang": args.lang}, args.json)
    else:
        set_disabled(store, acc, args.name, args.action == "disable")
        emit({"user": args.name, "disabled": args.action == "disable"}, args.json)
    sys.stdout.flush()
    return 0
