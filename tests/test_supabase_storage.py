"""Thumbnails to Supabase Storage through the real `supabase` client, against a local server speaking the Storage
REST endpoints (tests/supabase_storage_server.py): config, local ingest, outages, `storage push`, queue jobs."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from vcat_core.storage import RemoteStorageError, RemoteStorageRefused, SupabaseStorage

from . import media
from .helpers import run_cli
from .supabase_storage_server import SupabaseStorageServer

KEY = "sb_secret_test-service-key-0123456789"
BUCKET = "team-thumbs"


@pytest.fixture()
def storage_server():
    with SupabaseStorageServer(KEY) as srv:
        yield srv


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("to-upload")
    media.make_vp9(src)
    media.make_mpeg2_ts(src)
    return src


def _remote_env(srv: SupabaseStorageServer, key: str = KEY) -> dict[str, str]:
    return {"VCAT_SUPABASE_URL": srv.url, "VCAT_SUPABASE_KEY": key, "VCAT_STORAGE_BUCKET": BUCKET}


def test_client_round_trip(storage_server, tmp_path: Path):
    s = SupabaseStorage(storage_server.url, KEY, BUCKET)
    assert s.ensure_bucket() is True and SupabaseStorage(storage_server.url, KEY, BUCKET).ensure_bucket() is False
    img = tmp_path / "a.jpg"
    img.write_bytes(b"\xff\xd8\xff\xe0 not much of a jpeg")
    assert s.upload(img, "thumbnails/abc/0001_160.jpg") == f"{BUCKET}/thumbnails/abc/0001_160.jpg"
    assert s.upload(img, "thumbnails/abc/0001_160.jpg")  # upsert: uploading again replaces
    assert s.list("thumbnails") == ["abc"] and s.list("thumbnails/abc") == ["0001_160.jpg"]
    assert s.download("thumbnails/abc/0001_160.jpg") == img.read_bytes()
    with pytest.raises(RemoteStorageRefused) as refused:
        SupabaseStorage(storage_server.url, "sb_secret_wrong", BUCKET).upload(img, "x.jpg")
    assert "sb_secret_wrong" not in str(refused.value)
    storage_server.state.fail_with = 503
    before = len(storage_server.state.requests)
    with pytest.raises(RemoteStorageError) as down:
        s.upload(img, "y.jpg")
    assert not isinstance(down.value, RemoteStorageRefused)
    assert len(storage_server.state.requests) - before == 3  # transient: retried, then given up


def test_config_init_supabase(tmp_path: Path):
    cat = tmp_path / "catalog"
    url = "postgresql://vcat:s3cret-pw@db.example.supabase.co:5432/postgres"
    r = run_cli(cat, "config", "init", "--no-input", "--supabase-url", "https://abc.supabase.co",
                "--supabase-key", KEY, "--database-url", url, "--bucket", BUCKET)
    assert r.code == 0, r.stderr
    cfg = tmp_path / "catalog-config.yaml"
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o600  # it holds a key and a password
    shown = run_cli(cat, "config", "show", "--json").json()["settings"]
    assert shown["supabase_url"] == "https://abc.supabase.co" and shown["storage_bucket"] == BUCKET
    assert KEY not in json.dumps(shown) and "s3cret-pw" not in json.dumps(shown)
    assert shown["supabase_key"] == "**********" and shown["database_url"].startswith("postgresql://vcat:***@")
    text = run_cli(cat, "config", "show").stdout
    assert KEY not in text and "s3cret-pw" not in text
    changed = run_cli(cat, "config", "set", f"supabase_key={KEY}x", "database_url=postgresql://u:pw0rd@h/db")
    assert changed.code == 0 and KEY not in changed.stdout and "pw0rd" not in changed.stdout
    assert "supabase_key = **********" in changed.stdout


def test_ingest_uploads_thumbnails(storage_server, clips: Path, tmp_path: Path):
    cat = tmp_path / "catalog"
    before = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in clips.iterdir()}
    r = run_cli(cat, "ingest", str(clips), "--thumbnails", "3", "--skip-audio", "--skip-ai", "--json",
                **_remote_env(storage_server))
    assert r.code == 0, r.stderr
    finished = [json.loads(line) for line in r.stdout.splitlines() if '"run_finished"' in line][0]
    docs = run_cli(cat, "export").json()
    thumbs = [t for d in docs for t in d["thumbnails"]]
    assert len(docs) == 2 and thumbs and finished["summary"]["uploaded"] == len(thumbs)
    objects = storage_server.state.objects
    for t in thumbs:
        bucket, key = t["remote_path"].split("/", 1)
        assert bucket == BUCKET and key.startswith("thumbnails/")
        assert objects[(bucket, key)][0] == Path(t["path"]).read_bytes()  # the local cache stays, same bytes
        assert objects[(bucket, key)][1] == "image/jpeg"
    st = run_cli(cat, "storage", "status", "--json", **_remote_env(storage_server)).json()
    assert st == {"configured": True, "url": storage_server.url, "bucket": BUCKET, "thumbnails": len(thumbs),
                  "uploaded": len(thumbs), "pending": 0}
    assert {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in clips.iterdir()} == before
    assert KEY not in r.stdout + r.stderr


def test_outage_then_push(storage_server, clips: Path, tmp_path: Path):
    cat = tmp_path / "catalog"
    storage_server.state.fail_with = 503
    r = run_cli(cat, "ingest", str(clips), "--thumbnails", "2", "--skip-audio", "--skip-ai",
                **_remote_env(storage_server))
    assert r.code == 0, r.stderr  # the clips are catalogued; only their remote copies are missing
    assert r.stderr.count("upload failed") == 2 and "503" in r.stderr
    st = run_cli(cat, "storage", "status", "--json", **_remote_env(storage_server)).json()
    assert st["uploaded"] == 0 and st["pending"] == st["thumbnails"] > 0
    health = run_cli(cat, "system", "healthchecks", "--json", **_remote_env(storage_server))
    assert health.code == 1
    assert [c for c in health.json() if c["name"] == "remote thumbnail storage answers"][0]["ok"] is False

    bad = run_cli(cat, "storage", "push", **_remote_env(storage_server))
    assert bad.code == 2 and "503" in bad.stderr
    storage_server.state.fail_with = None
    ok = run_cli(cat, "storage", "push", "--json", **_remote_env(storage_server))
    assert ok.code == 0, ok.stderr
    assert ok.json()["uploaded"] == st["thumbnails"]
    assert run_cli(cat, "storage", "status", "--json", **_remote_env(storage_server)).json()["pending"] == 0
    assert run_cli(cat, "storage", "push", "--json", **_remote_env(storage_server)).json()["uploaded"] == 0


def test_push_needs_settings(tmp_path: Path):
    r = run_cli(tmp_path / "catalog", "storage", "push")
    assert r.code == 2 and "supabase_url" in r.stderr
    st = run_cli(tmp_path / "catalog", "storage", "status", "--json").json()
    assert st["configured"] is False and st["pending"] == 0


def test_queue_storage_jobs(storage_server, clips: Path, tmp_path: Path, postgres_url: str):
    """Workers copy thumbnails on the `storage` queue; a refused key fails the job at once (shown in `queue
    status`), and `queue retry` brings it back once the worker has the right key."""
    cat = tmp_path / "catalog"

    def cli(*args: str, key: str = KEY):
        return run_cli(cat, "--database-url", postgres_url, *args, **_remote_env(storage_server, key))

    assert cli("schema", "apply").code == 0
    assert cli("ingest", str(clips / "vp9.webm"), "--queue", "--thumbnails", "2", "--skip-audio",
               "--skip-ai").code == 0
    w = cli("worker", "--until-empty", key="sb_secret_revoked")
    assert w.code == 0, w.stderr[-3000:]
    status = {q["queue"]: q for q in cli("queue", "status", "--json").json()}
    assert status["storage"]["failed"] == 1 and status["processing"]["succeeded"] == 1
    jobs = cli("queue", "file-status", str(clips / "vp9.webm"), "--json").json()
    assert [j["task"] for j in jobs] == ["vcat.ingest_file", "vcat.process_clip"]
    failed_id = cli("queue", "jobs", "--queue", "storage", "--status", "failed", "--json").json()[0]["id"]
    assert cli("storage", "status", "--json").json()["uploaded"] == 0

    again = cli("queue", "retry", "--task-id", str(failed_id))
    assert again.code == 0 and again.stdout.strip() == f"job {failed_id} queued again"  # the same job, back
    w = cli("worker", "--queues", "storage", "--until-empty")
    assert w.code == 0, w.stderr[-3000:]
    status = {q["queue"]: q for q in cli("queue", "status", "--json").json()}
    assert status["storage"]["succeeded"] == 1 and status["storage"]["failed"] == 0
    done = cli("queue", "jobs", "--queue", "storage", "--json").json()
    assert [(j["id"], j["status"]) for j in done] == [(failed_id, "succeeded")] and done[0]["attempts"] > 1
    st = cli("storage", "status", "--json").json()
    assert st["pending"] == 0 and st["uploaded"] == len(storage_server.state.objects) > 0
