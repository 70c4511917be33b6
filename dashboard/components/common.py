"""What every page shares: settings, the store, the language, errors shown the same way."""

from __future__ import annotations

import streamlit as st

from dashboard.components.text import plain
from dashboard.i18n import translate
from geo.declare import registry as S
from geo.core.config import Settings, load_settings
from geo.core.errors import ConflictError, GeoError, NotFoundError, PermissionDenied, StoreError
from geo.store import Store, open_store


@st.cache_resource(show_spinner=False)
def app_settings() -> Settings:
    return load_settings()


def settings() -> Settings:
    return app_settings()


@st.cache_resource(show_spinner=False)
def shared_store(url: str) -> Store:
    # A Store holds no connection (each action opens its own), so one object can serve every
    # session's thread.
    return open_store(url)


def store() -> Store:
    return shared_store(settings().db)


def lang() -> str:
    """The language of this session: a ``?lang=`` in the address, else the one the signed-in user
    chose before (kept with the account), else the deployment's default."""
    if "lang" not in st.session_state:
        q = st.query_params.get("lang")
        chosen = (st.session_state.get("user") or {}).get("lang")
        st.session_state["lang"] = (q if q in ("zh", "en") else chosen if chosen in ("zh", "en")
                                    else settings().lang)
    return st.session_state["lang"]


def t(key: str, **kw) -> str:
    return translate(key, lang(), **kw)


def label(kind: str, key) -> str:
    return S.label(kind, key, lang())


def field_label(layer: str, name: str) -> str:
    f = S.layer(layer).field(name)
    return f.zh if lang() == "zh" else f.en


# One table from error class to how a page shows it (titiler's DEFAULT_STATUS_CODES pattern).
_SHOW = {
    ConflictError: "warning",
    NotFoundError: "warning",
    PermissionDenied: "error",
    StoreError: "error",
    GeoError: "error",
}


def show_error(err: GeoError) -> None:
    """The refusal in the user's language (as text: a message may quote a value or a file name)."""
    for cls, how in _SHOW.items():
        if isinstance(err, cls):
            getattr(st, how)(plain(err.message(lang())), icon="⚠️" if how == "warning" else "🚫")
            return


def confirm(text: str, where: str) -> None:
    """Confirm an action that changed something, in one line, on the run after it (actions end
    with ``st.rerun()``, which would drop a message shown at once): :func:`confirmation` with the
    same ``where`` shows it there, once."""
    st.session_state[f"confirm:{where}"] = text


def confirmation(where: str) -> None:
    """The confirmation :func:`confirm` left for ``where``, if any (as text: it may quote a name).
    Its place is held on every run, shown or not: an element that comes and goes would move those
    after it, and Streamlit folds an expander that moves (the one the user just worked in)."""
    slot = st.empty()
    text = st.session_state.pop(f"confirm:{where}", None)
    if text:
        slot.success(plain(text), icon=":material/check_circle:")


def check_store() -> None:
    """Stop with a clear message when the store cannot be opened (before anything else runs)."""
    try:
        store().meta("schema_version")
    except StoreError as err:
        show_error(err)
        st.stop()


def store_or_stop():
    """The store as the signed-in user may use it (:class:`geo.access.scope.ScopedStore`: their
    counties only, closed by default). Pages never get the store itself; without a signed-in user
    the page stops."""
    from geo.access.auth import scoped

    check_store()
    user = st.session_state.get("user")
    if user is None:
        st.stop()
    return scoped(store(), user)
