"""Who acts on the command line: an account, or an administrator on the server (``--system``).

Every change made through ``python -m geo`` is recorded under a name that means something: an
account of the store (its role and counties apply, exactly as in the app), or
``system:<operating-system user>`` when an administrator works on the server itself with
``--system`` (the event says so). A name that is no account is refused: unauthenticated text
never becomes the actor of a change.
"""

from __future__ import annotations

import getpass

from geo.access.auth import Access, access_for
from geo.core.errors import PermissionDenied, ValidationError
from geo.access.scope import ScopedStore, unwrap

SYSTEM_PREFIX = "system:"


def system_name() -> str:
    try:
        who = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        who = "unknown"
    return f"{SYSTEM_PREFIX}{who}"


def is_system(actor: str | None) -> bool:
    return bool(actor) and str(actor).startswith(SYSTEM_PREFIX)


def resolve(store, actor: str | None, system: bool = False, *, write: bool = True,
            default_system: bool = False):
    """``(store as the actor may use it, access or None, name recorded)``.

    ``write``: the command changes something, so it needs an account or ``--system`` (or
    ``default_system``: commands whose documented form names no actor, such as ``ingest``, act as
    the system operator when none is given). Reading with neither works on the whole store, as the
    person running the command already holds the store itself.
    """
    raw, _ = unwrap(store)
    if system and actor:
        raise ValidationError("give either --actor or --system, not both", "--actor 与 --system 只能二选一")
    if system or (not actor and write and default_system):
        name = system_name()
        return raw, Access(user=name, role="admin", counties=None), name
    if not actor:
        if write:
            raise ValidationError(
                "say who makes this change: --actor ACCOUNT (an account of this store), or --system "
                "for an administrator working on the server",
                "请注明操作人：--actor 账号名（本系统的账号），或在服务器上以管理员身份使用 --system",
                option="actor")
        return raw, None, ""
    user = raw.user(str(actor).strip())
    if user is None:
        raise ValidationError(
            f"'{actor}' is not an account of this store; use an account name with --actor, or --system "
            "for an administrator working on the server",
            f"“{actor}”不是本系统的账号。请用 --actor 指定账号名，或在服务器上以管理员身份使用 --system",
            option="actor", actor=actor)
    if user["disabled"]:
        raise PermissionDenied(f"account '{actor}' is disabled", f"账号“{actor}”已停用")
    access = access_for(user)
    return ScopedStore(raw, access), access, user["name"]
