"""Accounts, roles and county scope — enforced here, on every read and write, not in the UI.

Roles:

* ``admin``: everything, including accounts;
* ``staff`` (数据管理员): uploads batches and edits layer records; sees every county;
* ``inspector`` (核查员): reviews and moves features of the counties in its scope only;
* ``leader`` (领导): reads everything, changes nothing;
* ``league_reviewer`` (盟市审核): reviews the counties' applications for closure — samples, checks,
  approves, sends back (geo.change.review);
* ``province_checker`` (省级抽查): the optional third level, spot-checking what the league approved.

Passwords are hashed with Argon2id (argon2-cffi). Sessions are rows of ``sessions`` keyed by a
random token, with an expiry; the dashboard keeps the token in a cookie.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from geo.access.scope import ScopedStore, unwrap
from geo.core.errors import ConflictError, NotFoundError, PermissionDenied, ValidationError
from geo.store import Store
from geo.core.timeutil import fmt_local, now_utc
from geo.declare import registry as S

ROLES = ("admin", "staff", "inspector", "leader", "league_reviewer", "province_checker")
ROLE_LABELS = {"admin": ("系统管理员", "Administrator"), "staff": ("数据管理员", "Data staff"),
               "inspector": ("核查员", "Inspector"), "leader": ("领导", "Leader"),
               "league_reviewer": ("盟市审核员", "League reviewer"),
               "province_checker": ("省级抽查员", "Province spot-checker")}
# the closure review's roles (geo.change.review): each reviews the polygons of its counties (an account
# listing counties is bound to them; one listing none covers the whole jurisdiction)
REVIEW_ROLES = ("league_reviewer", "province_checker")
_HASHER = PasswordHasher()
WRITE_ROLES = {"admin", "inspector"}
UPLOAD_ROLES = {"admin", "staff"}
MIN_PASSWORD = 10
LANGS = ("zh", "en")  # the languages an account may choose (kept with the account: users.lang)
# passwords people pick first; refused whatever their length and mix
COMMON_PASSWORDS = frozenset({
    "password", "password1", "password123", "12345678", "123456789", "1234567890", "qwertyuiop",
    "1qaz2wsx", "1q2w3e4r", "abc12345", "abcd1234", "admin123", "admin@123", "p@ssw0rd", "passw0rd",
    "iloveyou", "88888888", "66666666", "woaini1314", "a123456789", "qq123456", "Aa123456",
})


@dataclass(frozen=True)
class Access:
    """What one user may see and change. ``counties=None`` means every county."""

    user: str
    role: str
    counties: frozenset[str] | None = None

    @property
    def key(self) -> str:
        return f"{self.user}|{self.role}|{','.join(sorted(self.counties)) if self.counties is not None else '*'}"

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def can_upload(self) -> bool:
        return self.role in UPLOAD_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def restrict_where(self, where: dict | None, layer: str = "change") -> dict | None:
        """``where`` narrowed to this user's counties; ``None`` if nothing is left to see."""
        where = dict(where or {})
        if self.counties is None or layer in ("admin",):
            return where
        wanted = where.get("county_code")
        if wanted is None:
            allowed = sorted(self.counties)
        else:
            wanted = [wanted] if isinstance(wanted, str) else list(wanted)
            allowed = [c for c in wanted if c in self.counties]
        if not allowed:
            return None
        where["county_code"] = allowed
        return where

    def check_feature(self, layer: str, feature: dict, write: bool = False) -> None:
        if self.counties is not None and layer not in ("admin",):
            code = feature.get("county_code")
            if code not in self.counties:
                raise PermissionDenied(
                    f"{self.user} may not {'change' if write else 'see'} {layer} #{feature.get('id')} "
                    f"(county {code}); scope: {', '.join(sorted(self.counties))}",
                    f"您（{self.user}）无权{'修改' if write else '查看'}该要素：它属于其他旗县",
                    id=feature.get("id"),
                )
        if write and not self.can_write_layer(layer):
            raise PermissionDenied(
                f"role '{self.role}' may not change {layer} records",
                f"当前角色（{ROLE_LABELS[self.role][0]}）只能查看，不能办理",
            )

    def can_write_layer(self, layer: str) -> bool:
        """Whether this role changes records of ``layer`` (its declared writers; administrators
        always)."""

        return self.role == "admin" or self.role in S.layer(layer).writers

    def check_upload(self) -> None:
        if not self.can_upload:
            raise PermissionDenied(
                f"role '{self.role}' may not upload batches", f"当前角色（{ROLE_LABELS[self.role][0]}）不能上传批次"
            )

    def check_admin(self) -> None:
        if not self.is_admin:
            raise PermissionDenied("only administrators manage accounts", "只有系统管理员可以管理账号")


def access_for(user: dict) -> Access:
    """What ``user`` may do. An inspector is always bound to its counties; other roles are bound to
    theirs when the account lists any (a county's leader), else they cover the whole jurisdiction."""
    listed = frozenset(user.get("counties") or [])
    counties = listed if (user["role"] == "inspector" or listed) else None
    return Access(user=user["name"], role=user["role"], counties=counties)


def check_password(password: str, user: str | None = None, min_length: int = MIN_PASSWORD) -> None:
    """The password policy, applied whenever a password is set: at least ``min_length``
    characters with three of lower case, upper case, digits and other characters (or 16+ of
    anything), not the account name, not a well-known password."""
    pw = password or ""
    if len(pw) < min_length:
        raise ValidationError(f"a password needs at least {min_length} characters",
                              f"密码至少需要 {min_length} 个字符")
    classes = sum([any(c.islower() for c in pw), any(c.isupper() for c in pw),
                   any(c.isdigit() for c in pw), any(not c.isalnum() or not c.isascii() for c in pw)])
    if classes < 3 and len(pw) < 16:
        raise ValidationError(
            "a password mixes at least three of: lower case, upper case, digits, other characters "
            "(or is 16 characters or longer)",
            "密码须包含小写字母、大写字母、数字、其他字符中的至少三类（或长度不少于 16 位）")
    if user and len(user) >= 3 and user.lower() in pw.lower():
        raise ValidationError("a password must not contain the account name", "密码不能包含用户名")
    if pw.lower() in {p.lower() for p in COMMON_PASSWORDS}:
        raise ValidationError("this password is too common", "该密码过于常见，请换一个")


def new_password() -> str:
    """A random password that meets the policy (for new accounts and resets)."""
    alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    core = "".join(secrets.choice(alphabet) for _ in range(10))
    return core[:5] + secrets.choice("-_.!") + secrets.choice("23456789") + secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ") + core[5:]


def hash_password(password: str, user: str | None = None, min_length: int = MIN_PASSWORD) -> str:
    check_password(password, user, min_length)
    return _HASHER.hash(password)


def authenticate(store: Store, name: str, password: str) -> dict:
    """The user record if ``name``/``password`` are right and the account is enabled."""
    user = store.user((name or "").strip())
    bad = ValidationError("wrong user name or password", "用户名或密码错误")
    if user is None:
        _HASHER.hash("timing-equaliser")  # same cost whether or not the user exists
        raise bad
    try:
        _HASHER.verify(user["password_hash"] or "", password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise bad from None
    if user["disabled"]:
        raise PermissionDenied(f"account '{name}' is disabled", "该账号已停用，请联系系统管理员")
    return user


# ------------------------------------------------------------------------------ accounts
def _audit(store: Store, tx, actor: str, action: str, name: str, fields: dict) -> None:
    store.add_events(tx, [("user", 0, now_utc(), actor, action, None, None,
                           json.dumps({"user": name, **fields}, ensure_ascii=False), None, None, None)])


def check_seen(store: Store, tx, name: str, seen: int | None) -> None:
    """The account ``name`` is still at version ``seen`` (what the administrator's page showed);
    otherwise the change is refused, naming who changed the account last and when. ``None``: no
    check (the command line acts on the account as it is)."""
    if seen is None:
        return
    row = tx.query_one("SELECT version FROM users WHERE name = ?", [name])
    current = int(row[0] or 0) if row else 0
    if current == int(seen):
        return
    who, when = "?", "?"
    for actor, at, changed in tx.query("SELECT actor, at, fields FROM events WHERE layer = 'user' ORDER BY id DESC"):
        try:
            if json.loads(changed or "{}").get("user") == name:
                who, when = actor, fmt_local(at)
                break
        except ValueError:
            continue
    raise ConflictError(
        f"account '{name}' was changed by {who} at {when} (now version {current}); you had version {seen}. "
        "Reload the page and apply your change again.",
        f"账号“{name}”已被 {who} 于 {when} 修改（当前版本 {current}），您看到的是版本 {seen}。请刷新页面后重新操作，未作任何修改。",
        user=name, expected_version=int(seen), current_version=current, changed_by=who, changed_at=when)


def add_user(store: Store, access: Access, *, name: str, role: str, password: str,
             display_name: str | None = None, counties: list[str] | None = None) -> None:
    store, _ = unwrap(store)
    access.check_admin()
    name = (name or "").strip()
    if not name or not name.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise ValidationError("a user name uses letters, digits, '_', '-' or '.'",
                              "用户名只能包含字母、数字、下划线、短横线或点")
    if role not in ROLES:
        raise ValidationError(f"role must be one of {ROLES}", f"角色只能是：{'、'.join(r[0] for r in ROLE_LABELS.values())}")
    if role == "inspector" and not counties:
        raise ValidationError("an inspector needs at least one county", "核查员至少需要一个负责旗县")
    if store.user(name) is not None:
        raise ValidationError(f"user '{name}' already exists", f"用户名“{name}”已存在")
    h = hash_password(password, name)
    with store.transaction() as tx:
        store.put_user(tx, name=name, display_name=display_name or name, role=role,
                       counties=counties or [], password_hash=h, disabled=False,
                       password_changed_at=now_utc())
        _audit(store, tx, access.user, "user_add", name, {"role": role, "counties": counties or []})


def reset_password(store: Store, access: Access, name: str, password: str, *, seen: int | None = None) -> None:
    store, _ = unwrap(store)
    if not name:
        raise ValidationError("choose the account whose password is reset", "请选择要重置密码的账号")
    if access.user != name:
        access.check_admin()
    if store.user(name) is None:
        raise NotFoundError(f"user '{name}' does not exist", f"用户“{name}”不存在")
    h = hash_password(password, name)
    with store.transaction() as tx:
        check_seen(store, tx, name, seen)
        store.update_user(tx, name, password_hash=h, password_changed_at=now_utc())
        tx.execute("DELETE FROM sessions WHERE user_name = ?", [name])
        _audit(store, tx, access.user, "user_password", name, {})


def set_disabled(store: Store, access: Access, name: str, disabled: bool, *, seen: int | None = None) -> None:
    store, _ = unwrap(store)
    access.check_admin()
    if name == access.user and disabled:
        raise ValidationError("you cannot disable your own account", "不能停用自己的账号")
    with store.transaction() as tx:
        check_seen(store, tx, name, seen)
        store.update_user(tx, name, disabled=bool(disabled))
        if disabled:
            tx.execute("DELETE FROM sessions WHERE user_name = ?", [name])
        _audit(store, tx, access.user, "user_disable" if disabled else "user_enable", name, {})


def set_language(store: Store, access: Access, name: str, lang: str) -> None:
    """Keep the language ``name`` chose (中文 or English) with the account, so it is the one the
    dashboard opens in after a reload and at the next sign-in. Anyone for themselves; an
    administrator for any account."""
    store, _ = unwrap(store)
    if access.user != name:
        access.check_admin()
    if lang not in LANGS:
        raise ValidationError(f"language must be one of {', '.join(LANGS)}", "语言只能是 zh（中文）或 en（英文）",
                              field="lang")
    with store.transaction() as tx:
        store.update_user(tx, name, lang=lang, bump=False)


def account_for_claims(store: Store, claims: dict) -> dict:
    """The account a single-sign-on identity maps to: the user whose name equals the identity's
    ``preferred_username``, its e-mail address, or the part of the address before '@'.
    Unknown or disabled accounts are refused — SSO proves who someone is, not what they may do."""
    email = str(claims.get("email") or "")
    for key in (claims.get("preferred_username"), email, email.split("@")[0] if email else None):
        if key:
            user = store.user(str(key))
            if user is not None:
                if user["disabled"]:
                    raise PermissionDenied(f"account '{user['name']}' is disabled", "该账号已停用，请联系系统管理员")
                return user
    raise PermissionDenied(
        f"no account for the signed-in identity {email or claims.get('sub')}; ask an administrator to create one",
        f"您的单点登录身份（{email or claims.get('sub')}）尚未在本系统开通账号，请联系系统管理员",
    )


# ------------------------------------------------------------------------------ assignment
ASSIGNEE_ROLES = ("inspector",)  # who change polygons are assigned to (指派给)


def assignees(store, counties=None) -> list[str]:
    """The accounts work may be assigned to: enabled inspectors, and with ``counties`` only those
    whose counties include one of them (an inspector cannot act outside their counties). The
    map's 批量指派 offers exactly these; :func:`check_assignee` refuses any other at the write."""
    raw, _ = unwrap(store)
    users = raw.users()
    if users.empty:
        return []
    wanted = {str(c) for c in counties} if counties else None
    out = []
    for name, role, disabled, listed in zip(users["name"], users["role"], users["disabled"], users["counties"]):
        if role not in ASSIGNEE_ROLES or bool(int(disabled or 0)):
            continue
        mine = set(json.loads(listed) if isinstance(listed, str) and listed else (listed or []))
        if wanted is None or not mine or mine & wanted:
            out.append(str(name))
    return out


def check_assignee(tx, name) -> None:
    """Work may be assigned to ``name`` only if the account exists and is enabled (checked by the
    write path inside its transaction, ``tx``, for any record whose ``assigned_to`` is set)."""
    if name is None or str(name).strip() == "":
        return
    rows = tx.query("SELECT disabled FROM users WHERE name = ?", [str(name)])
    if not rows:
        raise ValidationError(f"no account '{name}' to assign to", f"账号“{name}”不存在，不能指派", field="assigned_to")
    if bool(int(rows[0][0] or 0)):
        raise ValidationError(f"account '{name}' is disabled and cannot be assigned work",
                              f"账号“{name}”已停用，不能指派", field="assigned_to")


def scoped(store, user: dict | None):
    """``store`` as ``user`` may use it (the store itself when there is no user)."""
    if user is None:
        return store
    raw, _ = unwrap(store)
    return ScopedStore(raw, access_for(user))
