"""`vcat-core`: the headless entry for scripted batches. It only drives `vcat_core.service`.

Exit codes: 0 success · 1 some files failed (the rest catalogued) or a looked-up thing is missing · 2 usage or
fatal error · 130 interrupted.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.markup import escape

from .. import __version__
from .interrupt import run_interruptible
from ..config import (config_file_path, init_config_file, set_config_values, setting_sources, shown_settings,
                      shown_value)
from ..errors import ConfigError, VcatError
from ..events import ClipDone, RunFinished, RunSummary
from ..export import write_csv, write_json
from ..models import ClipFilter
from .common import OutputTable, State, err, fail, open_catalog, out, settings
from .format import human_bytes, human_duration, summary_table
from .catalog_health import catalog_app
from .admin import config_backup, config_restore, report_app, system_app
from .labels import collection_app, tag_app
from .people import people_app
from .handoff import HANDOFF_FORMATS, export_handoff, transcript
from .projects import project_app, schema_grant
from . import ratings as cull
from .queue import queue_app, schema_app, worker
from .storage import storage_app
from .progress import JsonLinesRenderer, QuietRenderer, RichRenderer

app = typer.Typer(help="vcat headless catalog: ingest footage, list, search, export.", no_args_is_help=True,
                  add_completion=False, pretty_exceptions_enable=False)
config_app = typer.Typer(help="Show and change settings (~/.config/vcat/config.yaml).", no_args_is_help=True)
app.add_typer(config_app, name="config")
app.add_typer(tag_app, name="tag")
app.add_typer(collection_app, name="collection")
app.add_typer(report_app, name="report")
app.add_typer(system_app, name="system")
app.add_typer(queue_app, name="queue")
app.add_typer(schema_app, name="schema")
app.add_typer(storage_app, name="storage")
app.add_typer(project_app, name="project")
app.add_typer(catalog_app, name="catalog")
app.add_typer(people_app, name="people")
schema_app.command("grant")(schema_grant)
app.command("worker")(worker)
cull.register(app)
app.command("transcript")(transcript)


def _version(value: bool) -> None:
    if value:
        out.print(f"vcat-core {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    catalog: Optional[Path] = typer.Option(None, "--catalog",
                                           help="Catalog folder (catalog.db + thumbnails); env VCAT_CATALOG."),
    database_url: Optional[str] = typer.Option(None, "--database-url",
                                               help="Postgres catalog (postgresql://…); env VCAT_DATABASE_URL."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
) -> None:
    State.overrides = {k: v for k, v in {"catalog": catalog, "database_url": database_url}.items() if v is not None}


def _filters(codec, resolution, camera, min_duration, max_duration, vfr, exposure_warning, shot_type=None,
             blurry=False, min_sharpness=None, tag=None, collection=None,
             cull_opts=(None, False, False, False, None), hdr=False, log=False,
             gamma=None, person=None) -> ClipFilter:
    return ClipFilter(codec=codec, resolution=resolution, camera=camera, min_duration=min_duration,
                      max_duration=max_duration, vfr=True if vfr else None,
                      exposure_warning=True if exposure_warning else None, shot_type=shot_type,
                      blurry=True if blurry else None, min_sharpness=min_sharpness, tags=tag or None,
                      collection=collection, hdr=True if hdr else None, log=True if log else None,
                      gamma=gamma, person=person, **cull.cull_filters(*cull_opts))


_codec = typer.Option(None, "--codec", help="Video codec, e.g. h264, hevc, prores.")
_resolution = typer.Option(None, "--resolution", help="720p, 1080p, 2160p, 4k or WIDTHxHEIGHT.")
_camera = typer.Option(None, "--camera", help="Text in the camera make or model.")
_min_d = typer.Option(None, "--min-duration", help="At least this many seconds.")
_max_d = typer.Option(None, "--max-duration", help="At most this many seconds.")
_vfr = typer.Option(False, "--vfr", help="Only variable-frame-rate clips.")
_exp = typer.Option(False, "--exposure-warning", help="Only clips with an exposure warning.")
_json = typer.Option(False, "--json", help="Machine-readable JSON output.")
_shot = typer.Option(None, "--shot-type", help="extreme_close_up, close_up, medium, wide or unknown.")
_blurry = typer.Option(False, "--blurry", help="Only clips flagged blurry.")
_min_sharp = typer.Option(None, "--min-sharpness", help="At least this sharpness (see `show`).")
_tag = typer.Option(None, "--tag", help="Carrying this tag (repeat for several).")
_coll = typer.Option(None, "--collection", help="In this collection.")
_hdr = typer.Option(False, "--hdr", help="Only HDR clips (PQ, HLG, Dolby Vision).")
_log = typer.Option(False, "--log", help="Only clips shot in a camera log curve (S-Log3, V-Log, C-Log3 …).")
_person = typer.Option(None, "--person", help="A person seen in the clip: name or #ID (see `people list`).")
_gamma = typer.Option(None, "--gamma", help="This log profile / gamma, e.g. slog3, vlog, clog3, hlg.")


# ---- ingest ------------------------------------------------------------------------------------------------------

@app.command()
def ingest(
    paths: list[Path] = typer.Argument(..., help="Files or folders to catalogue."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Pool processes (default: cores)."),
    thumbnails: Optional[int] = typer.Option(None, "--thumbnails", min=1, max=500, help="Thumbnails per clip."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive", help="Walk into sub-folders."),
    force: bool = typer.Option(False, "--force", help="Re-run every stage, even for unchanged clips."),
    hash_algorithm: Optional[str] = typer.Option(None, "--hash", help="xxh3_128 (default), blake3 or md5."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Process at most N new or changed files."),
    focus: Optional[str] = typer.Option(None, "--focus", help="Only one kind of analysis: audio, visual, metadata."),
    skip_visual: bool = typer.Option(False, "--skip-visual", help="No thumbnails or image analysis."),
    skip_audio: bool = typer.Option(False, "--skip-audio", help="No audio analysis or transcript."),
    skip_ai: bool = typer.Option(False, "--skip-ai", help="No AI analysis or embeddings."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Show what would be ingested, sizes and a time estimate."),
    priority: str = typer.Option("interactive", "--priority", help="interactive, or batch (yields the CPU)."),
    queue: bool = typer.Option(False, "--queue", help="Queue the files for workers (Postgres catalog) instead."),
    project: Optional[str] = typer.Option(None, "--project", help="Put new clips in this project (made if "
                                          "missing; its members may read them); env VCAT_PROJECT."),
    as_json: bool = _json,
) -> None:
    """Catalogue footage: fingerprint, metadata, thumbnails, exposure. Exit 1 when some files failed."""
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        fail(f"path not found: {', '.join(missing)}")
    choice = dict(recursive=recursive, force=force, focus=focus, skip_visual=skip_visual, skip_audio=skip_audio,
                  skip_ai=skip_ai, limit=limit)
    try:
        catalog = open_catalog(workers=workers, thumbnails=thumbnails, hash_algorithm=hash_algorithm,
                               project=project)
        if dry_run:
            with catalog:
                plan = catalog.plan_ingest([str(p) for p in paths], **choice)
            _print_plan(plan, as_json)
            return
        if queue:
            with catalog:
                result = catalog.defer_ingest([str(p) for p in paths], thumbnails=thumbnails, priority=priority,
                                              **choice)
            if as_json:
                print(json.dumps(result))
            else:
                out.print(f"queued {len(result['queued'])} file(s); {result['already_queued']} already queued, "
                          f"{result['known']} already catalogued, {result['passed_over']} passed over",
                          highlight=False)
            return
        events = catalog.ingest([str(p) for p in paths], priority=priority, **choice)
    except VcatError as exc:
        fail(str(exc))
    _run_events(catalog, events, as_json)


def _run_events(catalog, events, as_json: bool) -> None:
    """Drive an ingest's events to the end: progress for people, JSON lines for scripts; exit with its code."""
    if as_json:
        renderer: Any = JsonLinesRenderer()
    elif err.is_terminal:
        renderer = RichRenderer(err)
    else:
        renderer = QuietRenderer(err)
    summary = RunSummary()

    async def drive() -> None:
        nonlocal summary
        with renderer:
            async for ev in events:
                renderer.handle(ev)
                if isinstance(ev, RunFinished):
                    summary = ev.summary

    try:
        run_interruptible(drive())
    except KeyboardInterrupt:
        err.print("interrupted: what was catalogued so far is kept; run the same command to resume")
        raise typer.Exit(130)
    except (VcatError, OSError) as exc:  # the run could not go on at all (catalog unwritable, no processes)
        fail(f"the ingest stopped: {exc}")
    finally:
        catalog.close()
    if not as_json:
        out.print(summary_table(summary))
        if summary.failed:
            out.print(f"{summary.failed} file(s) failed: see `vcat-core failures`", highlight=False)
    raise typer.Exit(summary.exit_code)


@app.command()
def watch(
    paths: list[Path] = typer.Argument(..., help="Folders to watch."),
    settle: float = typer.Option(5.0, "--settle", min=0.1, help="Seconds a file must stop changing before ingest."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Pool processes (default: cores)."),
    thumbnails: Optional[int] = typer.Option(None, "--thumbnails", min=1, max=500, help="Thumbnails per clip."),
    recursive: bool = typer.Option(True, "--recursive/--no-recursive", help="Watch sub-folders too."),
    as_json: bool = _json,
) -> None:
    """Catalogue footage as it lands in folders (after each file stops growing). Ctrl-C or SIGTERM stops."""
    bad = [str(p) for p in paths if not p.is_dir()]
    if bad:
        fail(f"not a folder: {', '.join(bad)}")
    try:
        catalog = open_catalog(workers=workers, thumbnails=thumbnails)
    except VcatError as exc:
        fail(str(exc))

    async def drive() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        if not as_json:
            err.print(f"watching {len(paths)} folder(s); files are ingested {settle:g} s after they stop "
                      "changing (Ctrl-C to stop)", highlight=False)
        try:
            async for ev in catalog.watch([str(p) for p in paths], settle=settle, recursive=recursive):
                if as_json:
                    print(json.dumps(ev.model_dump(mode="json"), ensure_ascii=False), flush=True)
                elif isinstance(ev, ClipDone) and ev.outcome in ("new", "updated", "duplicate", "failed"):
                    line = f"{ev.outcome}: {ev.path}" + (f" ({ev.error})" if ev.error else "")
                    out.print(line, markup=False, highlight=False)
        except asyncio.CancelledError:
            pass

    try:
        asyncio.run(drive())
    except KeyboardInterrupt:
        pass
    finally:
        catalog.close()


@app.command()
def analyze(
    clips: Optional[list[str]] = typer.Argument(None, help="Clips: ids, paths or checksums."),
    all_clips: bool = typer.Option(False, "--all", help="Every catalogued clip."),
    provider: Optional[str] = typer.Option(None, "--provider", help="local (offline, default) or gemini."),
    force: bool = typer.Option(False, "--force", help="Redo clips that already have an analysis."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="Pool processes (default: cores)."),
    as_json: bool = _json,
) -> None:
    """Transcribe and analyse catalogued clips (transcript, speakers, events, summary, keywords, embeddings)."""
    if not clips and not all_clips:
        fail("name clips (ids or paths) or use --all")
    try:
        catalog = open_catalog(ai_provider=provider)
        events = catalog.analyze(clips or [], all_clips=all_clips, force=force, workers=workers)
    except VcatError as exc:
        fail(str(exc), 1 if "clip" in str(exc) else 2)
    _run_events(catalog, events, as_json)


@app.command()
def reembed(as_json: bool = _json) -> None:
    """Rebuild every clip's vectors with the configured embedding model (after changing embed_provider/model)."""
    try:
        with open_catalog() as catalog:
            result = catalog.reembed()
    except VcatError as exc:
        fail(str(exc))
    if as_json:
        print(json.dumps(result))
    else:
        out.print(f"re-embedded {result['clips']} clip(s) with {result['model'] or 'no model'}", highlight=False)


@app.command()
def search(
    query: str = typer.Argument(..., help='What you are looking for, e.g. "interview about the budget in 4k".'),
    limit: int = typer.Option(20, "--limit", min=1, max=1000, help="At most this many clips."),
    explain: bool = typer.Option(False, "--explain", help="Show how the query was read and why each clip ranks."),
    export_fmt: Optional[str] = typer.Option(None, "--export", help="json or csv: the export fields of each hit."),
    codec: Optional[str] = _codec, resolution: Optional[str] = _resolution, camera: Optional[str] = _camera,
    min_duration: Optional[float] = _min_d, max_duration: Optional[float] = _max_d, vfr: bool = _vfr,
    exposure_warning: bool = _exp, shot_type: Optional[str] = _shot, blurry: bool = _blurry,
    min_sharpness: Optional[float] = _min_sharp, tag: Optional[list[str]] = _tag, collection: Optional[str] = _coll,
    rating: Optional[str] = cull.rating_opt, picks: bool = cull.picks_opt, rejects: bool = cull.rejects_opt,
    unflagged: bool = cull.unflagged_opt, label: Optional[str] = cull.label_opt,
    hdr: bool = _hdr, log: bool = _log, gamma: Optional[str] = _gamma, person: Optional[str] = _person,
    as_json: bool = _json,
) -> None:
    """Natural-language search: filters read from the text (4k, 60fps, shot on iPhone, last week, sharp…), the rest
    matched by meaning and words; each hit points at the moment inside the clip."""
    if export_fmt not in (None, "json", "csv"):
        fail(f"unknown export format {export_fmt!r}; use json or csv")
    f = _filters(codec, resolution, camera, min_duration, max_duration, vfr, exposure_warning, shot_type, blurry,
                 min_sharpness, tag, collection, (rating, picks, rejects, unflagged, label),
                 hdr, log, gamma, person)
    with open_catalog() as catalog:
        try:
            result = catalog.search_hits(query, f, limit=limit)
        except (VcatError, ValueError) as exc:
            fail(str(exc))
        if export_fmt:
            docs = catalog.search_documents_for([h.clip.id for h in result.hits])
            for doc, hit in zip(docs, result.hits):
                doc["search_score"], doc["moment"] = hit.score, hit.moment
            (write_json if export_fmt == "json" else write_csv)(docs, sys.stdout)
            return
    if as_json:
        print(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        return
    if explain:
        out.print(f"searching by meaning for: {result.semantic or '(nothing: filters only)'}", highlight=False)
        for line in result.explanation:
            out.print(f"  {line}", highlight=False)
    table = OutputTable(f"{len(result.hits)} result(s) for {query!r}", ["#", "id", "name", "score", "moment", "where"]
                        + (["why"] if explain else []), wrap=("moment", "why"))
    for i, h in enumerate(result.hits, 1):
        m = h.moment
        seen = "on screen " if m and m.get("kind") == "screen_text" else ""  # words shown in the picture, not said
        moment = f"{_tc(m['start_seconds'])}{_source_tc(m)} {seen}“{m['snippet']}”" if m else ""
        row = [i, h.clip.id, escape(h.clip.name), f"{h.score:.4f}", escape(moment), escape(h.clip.path or "")]
        if explain:
            row.append(escape(", ".join(f"{k} #{v['rank']}" if isinstance(v, dict) else k
                                        for k, v in h.parts.items())))
        table.add_row(*row)
    table.print()


@app.command()
def duplicates(as_json: bool = _json) -> None:
    """Groups of near-duplicate clips: the same footage re-encoded, resized or trimmed."""
    with open_catalog() as catalog:
        groups = catalog.near_duplicates()
    if as_json:
        print(json.dumps(groups, ensure_ascii=False))
        return
    if not groups:
        out.print("no near-duplicates")
        return
    table = OutputTable(f"{len(groups)} group(s) of near-duplicates", ["group", "id", "name", "resolution", "codec",
                                                                       "duration", "path"], wrap=("path",))
    for g, group in enumerate(groups, 1):
        for c in group["clips"]:
            table.add_row(g, c["id"], escape(c["name"]), f"{c['width']}x{c['height']}", c["codec"] or "-",
                          human_duration(c["duration_seconds"]), escape(c["path"] or ""))
    table.print()


@app.command()
def reindex() -> None:
    """Rebuild the full-text search index of every clip."""
    with open_catalog() as catalog:
        n = catalog.reindex()
    out.print(f"re-indexed {n} clip(s)", highlight=False)


def _print_plan(plan, as_json: bool) -> None:
    if as_json:
        print(json.dumps(plan.to_dict(), ensure_ascii=False))
        return
    table = OutputTable(f"dry run: {len(plan.files)} file(s) to ingest", ["path", "size", "why"], wrap=("path",))
    for f in plan.files:
        table.add_row(escape(f.path), human_bytes(f.size), f.reason)
    table.print()
    out.print(f"{len(plan.files)} to ingest ({human_bytes(plan.bytes)}), {plan.known} already catalogued, "
              f"{plan.deferred} left for later (--limit), {plan.passed_over} passed over; "
              f"estimated time {human_duration(plan.estimated_seconds)}", highlight=False)
    for p in plan.problems:
        err.print(f"cannot look into {p.path}: {p.error}", markup=False, highlight=False)


# ---- reading -----------------------------------------------------------------------------------------------------

@app.command("list")
def list_cmd(
    codec: Optional[str] = _codec, resolution: Optional[str] = _resolution, camera: Optional[str] = _camera,
    min_duration: Optional[float] = _min_d, max_duration: Optional[float] = _max_d, vfr: bool = _vfr,
    exposure_warning: bool = _exp, shot_type: Optional[str] = _shot, blurry: bool = _blurry,
    min_sharpness: Optional[float] = _min_sharp, tag: Optional[list[str]] = _tag, collection: Optional[str] = _coll,
    rating: Optional[str] = cull.rating_opt, picks: bool = cull.picks_opt, rejects: bool = cull.rejects_opt,
    unflagged: bool = cull.unflagged_opt, label: Optional[str] = cull.label_opt,
    hdr: bool = _hdr, log: bool = _log, gamma: Optional[str] = _gamma, person: Optional[str] = _person,
    sort: str = typer.Option("name", "--sort",
                             help="name, duration, created, size, width, fps, codec, camera, sharpness, rating, id."),
    desc: bool = typer.Option(False, "--desc", help="Sort descending."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="At most this many rows."),
    as_json: bool = _json,
) -> None:
    """List catalogued clips (a table, or JSON documents with --json)."""
    f = _filters(codec, resolution, camera, min_duration, max_duration, vfr, exposure_warning, shot_type, blurry,
                 min_sharpness, tag, collection, (rating, picks, rejects, unflagged, label),
                 hdr, log, gamma, person)
    with open_catalog() as catalog:
        try:
            rows = catalog.list_clips(f, sort=sort, descending=desc, limit=limit)
        except ValueError as exc:
            fail(str(exc))
        if as_json:
            docs = [catalog.clip_detail(str(r.id)) for r in rows]
            out.print_json(json.dumps(docs, default=str)) if out.is_terminal else print(json.dumps(docs, default=str))
            return
    table = OutputTable(f"{len(rows)} clip(s)", ["id", "name", "duration", "resolution", "fps", "codec", "camera",
                                                  "created", "flags", "tags", "rating"], wrap=("name",))
    for r in rows:
        flags = list(dict.fromkeys([*r.flags, *(x for x in (r.exposure_warning, "vfr" if r.is_vfr else None,
                                                              "partial" if r.status == "partial" else None) if x)]))
        table.add_row(str(r.id), escape(r.name), human_duration(r.duration_seconds),
                      f"{r.width}x{r.height}" if r.width else "-",
                      f"{r.frame_rate:.3g}" if r.frame_rate else "-", r.codec or "-", escape(r.camera or "-"),
                      r.created_at.strftime("%Y-%m-%d %H:%M") if r.created_at else "-", ",".join(flags),
                      escape(",".join(r.tags)), cull.stars_text(r.rating, r.pick, r.label))
    table.print()


@app.command()
def show(ref: str = typer.Argument(..., help="Clip id, a path of the clip, or its checksum."),
         as_json: bool = _json) -> None:
    """Everything the catalog knows about one clip."""
    with open_catalog() as catalog:
        doc = catalog.clip_detail(ref)
    if doc is None:
        fail(f"no clip matches {ref!r}", code=1)
        return
    if as_json:
        print(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
        return
    tm = doc["technical_metadata"]
    table = OutputTable(f"clip {doc['id']}: {doc['file_name']}", ["field", "value"], show_header=False,
                        wrap=("value",))
    base = {k: doc[k] for k in ("file_path", "file_checksum", "file_size_bytes", "duration_seconds",
                                "created_at", "processed_at", "status")}
    for k, v in {**base, **tm}.items():
        if v is not None:
            src = doc["metadata_sources"].get(k) or doc["metadata_sources"].get(
                {"resolution_width": "width", "resolution_height": "height"}.get(k, ""))
            shown = f"{v:.4g}" if isinstance(v, float) else str(v)
            table.add_row(k, escape(shown) + (f"  [dim]({src})[/dim]" if src else ""))
    for loc in doc["locations"]:
        table.add_row("location", escape(loc["path"]) + ("" if loc["online"] else "  [red](offline)[/red]"))
    for part in doc.get("parts") or []:  # a spanned recording's files (camera cards), its proxies
        table.add_row(f"{part['role']} {part['index'] + 1}", escape(
            f"{part['path']}  {_tc(part['offset_seconds'])} +{part['duration_seconds'] or 0:.3f} s"
            + (f"  TC {part['timecode']}" if part["timecode"] else "")))
    frames = len({t["frame_index"] for t in doc["thumbnails"]})
    table.add_row("thumbnails", f"{frames} frames ({len(doc['thumbnail_paths'])} picked), "
                                f"{len(doc['thumbnails'])} images")
    for stage, st in doc["stages"].items():
        table.add_row(f"stage {stage}", st["status"] + (f": {escape(st['error'])}" if st["error"] else ""))
    for w in doc["metadata_warnings"]:
        table.add_row("warning", escape(w))
    for name in ("tags", "collections"):
        if doc[name]:
            table.add_row(name, escape(", ".join(doc[name])))
    if doc["rating"] or doc["pick"] or doc["label"]:
        table.add_row("rating", cull.stars_text(doc["rating"], doc["pick"], doc["label"]))
    q = doc.get("quality") or {}
    if q:
        flags = ", ".join(q["flags"]) or "-"
        table.add_row("quality", escape(f"sharpness {q['sharpness']}, noise {q['noise']}, blockiness "
                                        f"{q['blockiness']}, shot {q['shot_type']}, flags {flags}"))
    for shot in doc.get("shots") or []:
        table.add_row("shot", f"{_tc(shot['start_seconds'])} – {_tc(shot['end_seconds'])}")
    for p in doc.get("people") or []:
        table.add_row("person", escape(f"{p['name'] or '#' + str(p['id'])} at "
                                       + ", ".join(_tc(t) for t in p["times"][:8])))
    an = doc.get("analysis")
    if an:
        table.add_row("summary", escape(an["summary"]) + ("" if an["complete"] else "  [red](incomplete)[/red]"))
        table.add_row("keywords", escape(", ".join(an["keywords"])))
        if an["entities"]:
            table.add_row("entities", escape(", ".join(f"{e['text']} ({e['type']})" for e in an["entities"])))
        table.add_row("scene", escape(str(an["scene_classification"])))
        table.add_row("sentiment", f"{an['sentiment']['label']} ({an['sentiment']['score']})")
        if an["content_warnings"]:
            table.add_row("warnings", escape(", ".join(an["content_warnings"])))
        table.add_row("analysed by", escape(f"{an['provider']} / {an['model']}"))
    tr = doc.get("transcript")
    if tr:
        table.add_row("language", str(tr["language"] or "-") + (" (no speech)" if tr["no_speech"] else ""))
        for seg in tr["segments"]:
            who = f"{seg['speaker']}: " if seg.get("speaker") else ""
            table.add_row(_tc(seg["start_seconds"]), escape(who + seg["text"].strip()))
    for sp in doc.get("screen_text") or []:
        table.add_row("on screen", f"{_tc(sp['start_seconds'])} – {_tc(sp['end_seconds'])} {escape(sp['text'])}")
    for ev in doc.get("non_speech_events") or []:
        table.add_row("sound", f"{_tc(ev.get('start'))} – {_tc(ev.get('end'))} {escape(str(ev.get('label')))}")
    table.print()


def _source_tc(moment: dict) -> str:
    """" (TC 01:00:05;12)": the source timecode of a moment, when the clip carries one (camera cards)."""
    return f" (TC {moment['source_timecode']})" if moment.get("source_timecode") else ""


def _tc(seconds: float | None) -> str:
    """A timecode a person reads: H:MM:SS.s"""
    if seconds is None:
        return "-"
    h, rem = divmod(float(seconds), 3600)
    m, sec = divmod(rem, 60)
    return f"{int(h)}:{int(m):02d}:{sec:04.1f}"


@app.command()
def export(
    fmt: str = typer.Option("json", "--format", help="json, csv; timelines fcpxml, xmeml, edl, otio; contact "
                                                     "sheets pdf, png."),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write to this file instead of stdout."),
    codec: Optional[str] = _codec, resolution: Optional[str] = _resolution, camera: Optional[str] = _camera,
    min_duration: Optional[float] = _min_d, max_duration: Optional[float] = _max_d, vfr: bool = _vfr,
    exposure_warning: bool = _exp, shot_type: Optional[str] = _shot, blurry: bool = _blurry,
    min_sharpness: Optional[float] = _min_sharp, tag: Optional[list[str]] = _tag, collection: Optional[str] = _coll,
    rating: Optional[str] = cull.rating_opt, picks: bool = cull.picks_opt, rejects: bool = cull.rejects_opt,
    unflagged: bool = cull.unflagged_opt, label: Optional[str] = cull.label_opt,
    hdr: bool = _hdr, log: bool = _log, gamma: Optional[str] = _gamma, person: Optional[str] = _person,
    search_q: Optional[str] = typer.Option(None, "--search", help="Timelines/sheets: the hits of this search, each "
                                                                  "cut to its moment."),
    root: Optional[Path] = typer.Option(None, "--root", help="Timelines: media paths relative to this folder."),
    proxies: bool = typer.Option(False, "--proxies", help="Timelines: use proxies found beside the originals."),
    name: Optional[str] = typer.Option(None, "--name", help="Timeline / sheet title."),
) -> None:
    """Export clips as a JSON array (seed §6.1.1 fields) or CSV (one row per clip), or hand them to the edit: a
    timeline (FCPXML, Premiere/FCP7 XML, CMX 3600 EDL, OTIO) or a contact sheet (PDF, PNG)."""
    f = _filters(codec, resolution, camera, min_duration, max_duration, vfr, exposure_warning, shot_type, blurry,
                 min_sharpness, tag, collection, (rating, picks, rejects, unflagged, label),
                 hdr, log, gamma, person)
    if fmt in HANDOFF_FORMATS:
        return export_handoff(fmt, output, f, search=search_q, root=root, proxies=proxies, name=name)
    if fmt not in ("json", "csv"):
        fail(f"unknown format {fmt!r}; one of: json, csv, {', '.join(HANDOFF_FORMATS)}")
    if search_q or root or proxies:
        fail("--search, --root and --proxies go with timelines and contact sheets; for the JSON/CSV of a search "
             "use `vcat-core search QUERY --export json|csv`")
    with open_catalog() as catalog:
        try:
            if output:
                with open(output, "w", encoding="utf-8", newline="") as fh:
                    catalog.export(fmt, fh, f)
            else:
                catalog.export(fmt, sys.stdout, f)
        except ValueError as exc:
            fail(str(exc))


@app.command()
def failures(as_json: bool = _json) -> None:
    """Every file that could not be catalogued, and clips with a failed stage: path, stage, reason."""
    with open_catalog() as catalog:
        rows = catalog.failures()
    if as_json:
        print(json.dumps([r.model_dump(mode="json") for r in rows], ensure_ascii=False, indent=2))
        return
    if not rows:
        out.print("no failures")
        return
    table = OutputTable(f"{len(rows)} failure(s)", ["path", "stage", "error"], wrap=("path", "error"))
    for r in rows:
        table.add_row(escape(r.path), r.stage, escape(r.error))
    table.print()


@app.command()
def stats(as_json: bool = _json) -> None:
    """Clips, hours and bytes, by codec, resolution and camera."""
    with open_catalog() as catalog:
        data = catalog.stats()
    if as_json:
        print(json.dumps(data, indent=2))
        return
    out.print(f"[bold]{data['clips']}[/bold] clips · {human_duration(data['duration_seconds'])} · "
              f"{human_bytes(data['bytes'])} · {data['locations']} locations · {data['failures']} failed files")
    for key, title in (("by_codec", "codec"), ("by_resolution", "resolution"), ("by_camera", "camera")):
        table = OutputTable(f"by {title}", [title, "clips", "hours", "size"], title_when_piped=True)
        for g in data[key]:
            table.add_row(escape(g["name"]), str(g["clips"]), f"{g['hours']:.3f}", human_bytes(g["bytes"]))
        table.print()


# ---- config ------------------------------------------------------------------------------------------------------

@config_app.command("show")
def config_show(as_json: bool = _json) -> None:
    """Every setting with its value and where it came from (default, file, env, flag)."""
    try:
        current = settings()
    except ConfigError as exc:
        fail(str(exc))
    sources = setting_sources(current, State.overrides)
    values = shown_settings(current)
    if as_json:
        print(json.dumps({"config_file": str(config_file_path()), "settings": values, "sources": sources},
                         indent=2))
        return
    table = OutputTable(f"settings (file: {config_file_path()})", ["key", "value", "source"])
    for k, v in values.items():
        table.add_row(k, escape(json.dumps(v) if not isinstance(v, str) else v), sources[k])
    table.print()


def _pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        if "=" not in item:
            raise ConfigError(f"expected KEY=VALUE, got {item!r}")
        k, v = item.split("=", 1)
        pairs[k] = v
    return pairs


@config_app.command("set", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def config_set(ctx: typer.Context, items: Optional[list[str]] = typer.Argument(None, help="KEY=VALUE ...")) -> None:
    """Change settings in the config file, e.g. `vcat-core config set thumbnails=20 workers=4`."""
    try:
        pairs = _pairs([i for i in (items or []) + list(ctx.args)])
        if not pairs:
            raise ConfigError("nothing to set: give KEY=VALUE pairs")
        stored = set_config_values(pairs)
    except ConfigError as exc:
        fail(str(exc))
        return
    for k, v in stored.items():
        out.print(f"{k} = {shown_value(k, v)}", highlight=False)


@config_app.command("init")
def config_init(
    items: Optional[list[str]] = typer.Argument(None, help="KEY=VALUE to set besides the defaults."),
    force: bool = typer.Option(False, "--force", help="Overwrite an existing config file."),
    interactive: Optional[bool] = typer.Option(None, "--interactive/--no-input",
                                               help="Ask for the main settings (default: when on a terminal)."),
    database_url: Optional[str] = typer.Option(None, "--database-url",
                                               help="Shared catalog: postgresql://… (e.g. a Supabase project's)."),
    supabase_url: Optional[str] = typer.Option(None, "--supabase-url", help="Supabase project URL (Storage)."),
    supabase_key: Optional[str] = typer.Option(None, "--supabase-key", help="Supabase service key (kept in the "
                                               "config file, mode 0600; or set VCAT_SUPABASE_KEY instead)."),
    bucket: Optional[str] = typer.Option(None, "--bucket", help="Storage bucket for thumbnails."),
) -> None:
    """Write a config file holding every default (asks for the main settings on a terminal)."""
    try:
        pairs = _pairs(items or [])
        for key, value in (("database_url", database_url), ("supabase_url", supabase_url),
                           ("supabase_key", supabase_key), ("storage_bucket", bucket)):
            if value is not None:
                pairs[key] = value
        ask = interactive if interactive is not None else (sys.stdin.isatty() and not pairs)
        if ask:
            defaults = settings()
            for key, question in (("catalog", "Catalog folder"), ("workers", "Worker processes"),
                                  ("thumbnails", "Thumbnails per clip"),
                                  ("analysis_depth", "Analysis depth (quick, standard, full)"),
                                  ("ai_provider", "AI provider (local, gemini)")):
                pairs.setdefault(key, str(typer.prompt(question, default=str(getattr(defaults, key)))))
        path = init_config_file(pairs, force=force)
    except ConfigError as exc:
        fail(str(exc))
    out.print(f"wrote {path}", highlight=False)


@config_app.command("backup")
def config_backup_cmd(path: Path = typer.Argument(..., help="File to write (YAML).")) -> None:
    """Save the config file's settings to PATH."""
    config_backup(path)


@config_app.command("restore")
def config_restore_cmd(path: Path = typer.Argument(..., help="A backup written by `config backup`.")) -> None:
    """Validate a backup and make it the config file."""
    config_restore(path)


def main() -> None:
    try:
        app()
    except VcatError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)
