"""What every command-line verb shares: the common options, ``KEY=VALUE`` pairs, printing one
result (JSON with ``--json``, readable text otherwise), and the error log that keeps tracebacks
off the terminal."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import sys
import threading
from pathlib import Path

from geo.core.config import PROJECT_ROOT
from geo.core.errors import ValidationError

LOG_NAME = "forest-errors.log"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [pid %(process)d] %(message)s"


def add_common(p: argparse.ArgumentParser, json_flag: bool = True) -> None:
    p.add_argument("--db", help="store: a .gpkg path or postgresql:// URL (default: FOREST_DB or data/forest.gpkg)")
    if json_flag:
        p.add_argument("--json", action="store_true", help="print one JSON object")


def add_reader(p: argparse.ArgumentParser) -> None:
    p.add_argument("--actor", help="read as this account (its counties only)")


def add_writer(p: argparse.ArgumentParser, required_help: str = "") -> None:
    """``--actor ACCOUNT`` or ``--system``: who makes a change (geo.access.actors)."""
    p.add_argument("--actor", help="the account making the change (its role and counties apply)" + required_help)
    p.add_argument("--system", action="store_true",
                   help="an administrator working on the server; recorded as system:<os user>")


def pairs(items: list[str] | None, what: str) -> dict:
    """``["a=1", "b=2"]`` as ``{"a": "1", "b": "2"}``; anything else is refused in both languages."""
    out = {}
    for item in items or []:
        if "=" not in item:
            raise ValidationError(f"{what} takes KEY=VALUE, not '{item}'", f"{what} 的格式应为 键=值，而不是“{item}”")
        key, value = item.split("=", 1)
        out[key.strip()] = value
    return out


def emit(obj, as_json: bool) -> None:
    """One result on standard output."""
    if as_json:
        print(json.dumps(obj, ensure_ascii=False, indent=None, default=str))
    else:
        print(obj if isinstance(obj, str) else json.dumps(obj, ensure_ascii=False, indent=2, default=str))


# ------------------------------------------------------------------------------ the error log
def error_log_path(settings) -> Path:
    """Where tracebacks go: the ``error_log`` setting, else ``logs/forest-errors.log`` in the data
    folder — beside a GeoPackage store, or the project's ``data/`` for a PostGIS store (the
    folders the service may write to); :func:`errors_to_log` falls back to the user's state
    folder (``$XDG_STATE_HOME/forest``, ``~/.local/state/forest``) when that is not writable."""
    if getattr(settings, "error_log", ""):
        return Path(settings.error_log).expanduser()
    if not settings.is_postgis:
        return Path(settings.db).expanduser().resolve().parent / "logs" / LOG_NAME
    return PROJECT_ROOT / "data" / "logs" / LOG_NAME


def _state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "forest"


class _LogFile(logging.FileHandler):
    """A log file made (with its folder) only when there is something to write, and silent if it
    cannot be written then (logging would print its own traceback to stderr)."""

    def _open(self):
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record):  # noqa: N802 - logging's name
        pass


def _handler(path: Path) -> logging.Handler | None:
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return None
    handler = _LogFile(path, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    handler.setLevel(logging.WARNING)
    return handler


@contextlib.contextmanager
def errors_to_log(settings):
    """While a command runs, everything logged (a refusal's traceback, a library's warning) and
    every Python warning goes to the error log (:func:`error_log_path`), never to the terminal:
    with no handler Python's logging prints tracebacks to stderr itself. A thread's uncaught
    error goes there too. Yields the log's path (None when no folder for it is writable; then
    such records are dropped, still not printed)."""
    path = error_log_path(settings)
    handler = _handler(path)
    if handler is None and path.parent != _state_dir():
        path = _state_dir() / LOG_NAME
        handler = _handler(path)
    root = logging.getLogger()
    added = handler if handler is not None else logging.NullHandler()
    root.addHandler(added)  # (with a handler, Python no longer prints records to stderr itself)
    hook = threading.excepthook

    def thread_error(args):
        if args.exc_type is not SystemExit:
            logging.getLogger("geo.cli").error("uncaught error in thread %s", getattr(args.thread, "name", "?"),
                                               exc_info=(args.exc_type, args.exc_value, args.exc_traceback))

    threading.excepthook = thread_error
    logging.captureWarnings(True)
    try:
        yield path if handler is not None else None
    finally:
        logging.captureWarnings(False)
        threading.excepthook = hook
        root.removeHandler(added)
        added.close()


def log_unexpected(ex: BaseException, argv) -> None:
    """An unexpected failure of a command, with its traceback and the command line, in the log."""
    logging.getLogger("geo.cli").error("python -m geo %s failed unexpectedly", " ".join(map(str, argv or sys.argv[1:])),
                                       exc_info=ex)
