"""No lost work under load: eight inspectors changing the same and different polygons at once,
through the CLI (`transition --version`) and through the functions the app calls, in parallel
processes, on both backends. Every accepted change is in the history, every refused one was told
so, and nothing is silently overwritten."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path


from geo.store import open_store
from tests.helpers import add_batch, insert, polygons

ROOT = Path(__file__).resolve().parent.parent
NEXT = {"issued": ("verifying", {}), "verifying": ("verified", {"verdict": "no_change"}),
        "verified": ("verifying", {}), "closed": ("rectifying", {})}
COMMENT = {"verified": "退回重新核查"}


def worker_main(argv: list[str]) -> None:
    """One inspector, run as its own process (``python -m tests.test_load URL NAME IDS ROUNDS VIA_CLI SEED``):
    prints its log as JSON. Its own interpreter, not a fork or spawn of the pytest process, so
    nothing the earlier tests left in that process can reach it."""
    url, name, ids, rounds, via_cli, seed = argv
    log = _work(url, name, json.loads(ids), int(rounds), via_cli == "1", int(seed))
    print(json.dumps(log, ensure_ascii=False))


def _work(url: str, name: str, ids: list[int], rounds: int, via_cli: bool, seed: int) -> list:
    from geo.engine import workflow as W
    from geo.core.errors import ConflictError, GeoError

    store = open_store(url)
    rng = random.Random(seed)
    log = []
    for _ in range(rounds):
        fid = rng.choice(ids)
        feat = store.get_feature("change", fid)
        to, fields = NEXT[feat["status"]]
        comment = COMMENT.get(feat["status"], "并发测试")
        if via_cli:
            args = [sys.executable, "-m", "geo", "transition", "--db", url, "--layer", "change", "--id", str(fid),
                    "--to", to, "--actor", name, "--version", str(feat["version"]), "--comment", comment, "--json"]
            args += [a for k, v in fields.items() for a in ("--field", f"{k}={v}")]
            proc = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120,
                                  env={**os.environ, "FOREST_LANG": "zh"})
            assert "Traceback" not in proc.stderr, proc.stderr
            if proc.returncode == 0:
                log.append(("ok", fid, feat["version"], json.loads(proc.stdout)["version"]))
            else:
                message = json.loads(proc.stdout)["message"]
                log.append(("refused", fid, feat["version"], proc.returncode, message))
        else:
            try:
                v = W.transition(store, "change", fid, to, actor=name, version=feat["version"], fields=fields,
                                 comment=comment)
                log.append(("ok", fid, feat["version"], v))
            except ConflictError as err:
                log.append(("refused", fid, feat["version"], 3, err.zh))
            except GeoError as err:
                log.append(("refused", fid, feat["version"], 2, err.zh))
    return log


def test_eight_inspectors_at_once(store_url):
    store = open_store(store_url, create=True)
    bid = add_batch(store)
    ids = insert(store, polygons(6), batch_id=bid)
    hot, private = ids[:2], ids[2:]
    from geo.access import auth

    for i in range(8):  # every change on the command line names an account (geo.access.actors)
        auth.add_user(store, auth.Access(user="setup", role="admin"), name=f"核查员{i}", role="admin",
                      password="Load-test-pass-1")
    procs = {}
    for i in range(8):
        mine = hot + [private[i % len(private)]]
        args = [store_url, f"核查员{i}", json.dumps(mine), "4", "1" if i % 2 == 0 else "0", str(i)]
        procs[f"核查员{i}"] = subprocess.Popen([sys.executable, "-m", "tests.test_load", *args], cwd=ROOT,
                                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                             env={**os.environ, "FOREST_LANG": "zh"})
    logs = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr  # a crashed inspector shows its traceback
        logs[name] = [tuple(e) for e in json.loads(stdout.strip().splitlines()[-1])]
    accepted = [(name, *e[1:]) for name, log in logs.items() for e in log if e[0] == "ok"]
    refused = [(name, *e[1:]) for name, log in logs.items() for e in log if e[0] == "refused"]
    assert accepted and refused  # the hot polygons really were contended
    for _, fid, seen, code, message in refused:
        assert code in (2, 3) and message  # told, with a reason
        if code == 3:
            assert "已被" in message
    events = store.events("change")
    moves = events[events["action"] == "transition"]
    # every accepted change is in the history, by its author, at the version it returned …
    recorded = {(a, int(f), int(v)) for a, f, v in zip(moves["actor"], moves["feature_id"], moves["version"])}
    for name, fid, seen, new in accepted:
        assert new == seen + 1
        assert (name, fid, new) in recorded
    # … and nothing else is: no refused change slipped in, nothing was overwritten
    assert len(moves) == len(accepted)
    for fid in ids:
        versions = sorted(events[events["feature_id"] == fid]["version"].astype(int))
        assert versions == list(range(1, len(versions) + 1))
        feat = store.get_feature("change", fid)
        assert feat["version"] == len(versions)
        last = events[events["feature_id"] == fid].sort_values("version").iloc[-1]
        assert feat["status"] == last["to_status"]


if __name__ == "__main__":
    worker_main(sys.argv[1:])
