"""What runs inside a pool process for one clip: plain functions from a candidate to typed results.

Nothing here touches the catalog, so the same functions can run in the local process pool or in a queue job.
Errors become per-stage outcomes with a sentence a person can read; nothing escapes except bugs.
"""

from __future__ import annotations

import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import FileVanishedError, MediaError, UnreadableFileError, VcatError, is_disk_full
from ..models import Candidate, ClipAnalysis, FingerprintResult, StageOutcome, ThumbnailsResult
from .exposure import ExposureThresholds, clip_exposure
from .vision.flags import VisionThresholds
from .faults import maybe_hang
from .fingerprint import fingerprint_file
from .pool import report_media_seconds

ANALYSIS_STAGES = ("metadata", "thumbnails", "exposure", "vision", "faces", "transcribe", "analyze", "embed")
# Each stage's inputs when it is asked for alone: the pool is free of catalog reads, so what a stage builds on is
# recomputed in the same run (vision measures the thumbnail stage's frames; analysis reads the transcript; the
# embeddings embed the analysis and the transcript). `vcat-core reembed` re-embeds from the catalog instead.
MIN_THUMBNAIL_SPACING = 0.25  # seconds between thumbnail candidates, at least
NEEDS = {"vision": ("thumbnails", "exposure"), "faces": ("thumbnails", "exposure", "vision"),
         "analyze": ("transcribe",), "embed": ("transcribe", "analyze")}


@dataclass(frozen=True)
class AnalysisOptions:
    catalog_dir: str
    thumbnails: int = 30
    widths: tuple[int, ...] = (160, 320, 640)
    thumbnail_format: str = "jpg"
    thresholds: ExposureThresholds = field(default_factory=ExposureThresholds)
    vision: VisionThresholds = field(default_factory=VisionThresholds)
    ai: dict = field(default_factory=dict)  # ai.AISettings fields (provider, models); API keys come from env
    text_frames: int = 0  # frames per clip whose on-screen text the vision stage reads (0: none)
    text_every: float = 2.0  # ... and at most one per this many seconds of footage

    @classmethod
    def from_settings(cls, s, thumbnails: int | None = None) -> "AnalysisOptions":
        """From `config.Settings` (the local runner and queue workers build them the same way)."""
        return cls(
            catalog_dir=str(s.catalog), thumbnails=thumbnails or s.thumbnails, widths=tuple(s.thumbnail_widths),
            thumbnail_format=s.thumbnail_format,
            thresholds=ExposureThresholds(over_luma=s.exposure_over_luma, under_luma=s.exposure_under_luma,
                                          warn_percentage=s.exposure_warn_percentage),
            vision=VisionThresholds(blurry_sharpness=s.blurry_below_sharpness, noisy_sigma=s.noisy_above_sigma,
                                    heavy_blockiness=s.heavy_compression_above_blockiness,
                                    exposure_percentage=s.exposure_warn_percentage),
            text_frames=s.screen_text_frames if s.screen_text else 0, text_every=s.screen_text_every_seconds,
            ai={"provider": s.ai_provider, "embed_provider": s.embed_provider, "whisper_model": s.whisper_model,
                "gemini_model": s.gemini_model, "openai_embed_model": s.openai_embed_model})


# stages that can work from what earlier stages stored: on a catalogued clip whose inputs are done they run alone
# (faces added to a catalog made before people existed read its stored thumbnails, nothing is decoded again)
FROM_CATALOG = {"faces": ("thumbnails", "vision")}


def stages_to_run(wanted: tuple[str, ...], done: dict[str, str] | None, force: bool) -> tuple[str, ...]:
    """Of the stages asked for, those a clip still lacks (`done`: its stage statuses, None for new content), plus
    what they build on (unless they can read it from the catalog, FROM_CATALOG). The local runner and queue
    workers decide the same way."""
    missing = tuple(s for s in ANALYSIS_STAGES if s in wanted and (
        done is None or force or done.get(s) not in ("succeeded", "skipped")))
    if not missing:
        return ()
    alone = {s for s in missing if done is not None and not force and s in FROM_CATALOG
             and all(done.get(n) == "succeeded" for n in FROM_CATALOG[s])}
    needed = set(expand_stages(tuple(s for s in missing if s not in alone))) | alone
    return tuple(s for s in ANALYSIS_STAGES if s in needed)


def needs_stored_thumbnails(stages: tuple[str, ...]) -> bool:
    """Whether this run of a clip reads its thumbnails from the catalog (prior["stored_thumbnails"]): a stage of
    FROM_CATALOG built on thumbnails runs without the thumbnails stage."""
    return "thumbnails" not in stages and any(s in stages and "thumbnails" in needs
                                              for s, needs in FROM_CATALOG.items())


def expand_stages(stages: tuple[str, ...]) -> tuple[str, ...]:
    """The stages asked for plus those they build on (see NEEDS), in pipeline order."""
    wanted = set(stages)
    for stage in stages:
        wanted |= set(NEEDS.get(stage, ()))
    return tuple(s for s in ANALYSIS_STAGES if s in wanted)


def worker_init(priority: str = "interactive", memory_limit_mb: int | None = None) -> None:
    """Pool initializer: keep workers from competing for cores with their own decoder / model threads; a batch run
    yields the CPU to interactive work (the TUI, an editor's player); cap the worker's memory (`memory_limit_mb`,
    None: the `worker_address_space_mb` setting)."""
    if memory_limit_mb is None:
        from ..config import load_settings

        memory_limit_mb = load_settings().worker_address_space_mb
    limit_memory(memory_limit_mb)
    die_with_parent()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("VCAT_AI_THREADS", "1")
    if priority == "batch":
        try:
            os.nice(10)
        except OSError:
            pass


def limit_memory(limit_mb: int) -> None:
    """Cap this process's address space (RLIMIT_AS, soft and hard): a hostile file whose headers ask a decoder for
    a 65535×65535 frame, or a leak, gets a failed allocation (MemoryError / ENOMEM: that file fails) instead of
    the machine's memory and the OOM killer's choice of victim. Address space, not resident memory: it counts
    what is reserved (thread stacks, allocator arenas), so the cap sits well above a worker's working set.
    0 or less: no cap. Never raises a limit the process already has."""
    if limit_mb <= 0:
        return
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = limit_mb * 2**20
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def die_with_parent() -> None:
    """Linux: the kernel kills this worker (SIGKILL) when the process that started it dies, so a worker busy on a
    file (or stuck in a decoder) does not outlive an ingest that was killed; elsewhere a no-op (the pool's pipe
    closing stops an idle worker there)."""
    import ctypes
    import signal
    import sys

    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() == 1:  # the parent died before the request was in place
        os._exit(1)


def warm_up() -> None:
    """Run once per worker at pool start: imports done, ExifTool started, before the first file arrives."""
    from .metadata.exiftool import get_exiftool

    get_exiftool()


def start_worker(priority: str = "interactive", memory_limit_mb: int | None = None) -> None:
    """The pool's initializer: settings for this process, then warm up."""
    worker_init(priority, memory_limit_mb)
    warm_up()


def run_fingerprint(candidate: Candidate, algorithm: str) -> FingerprintResult:
    return fingerprint_file(candidate, algorithm)


def run_fingerprints(candidates: list[Candidate], algorithm: str) -> list[FingerprintResult | tuple[str, str]]:
    """Hash several (small) files in one pool task: a drive of copies costs one round trip per group, not per
    file. Each file's failure comes back as (sentence, error kind) in its place."""
    out: list[FingerprintResult | tuple[str, str]] = []
    for cand in candidates:
        try:
            out.append(fingerprint_file(cand, algorithm))
        except MediaError as exc:
            out.append((str(exc), type(exc).__name__))
    return out


def _still_same_file(c: Candidate) -> None:
    for part in c.parts or []:
        _still_same_file(part)
    if c.parts:
        return
    try:
        st = os.stat(c.path)
    except FileNotFoundError as exc:
        raise FileVanishedError("file disappeared while it was being catalogued") from exc
    except OSError as exc:
        raise UnreadableFileError(f"cannot read file: {exc.strerror or exc}") from exc
    if (st.st_ino, st.st_size, st.st_mtime_ns) != (c.inode, c.size, c.mtime_ns):
        raise FileVanishedError("file changed while it was being catalogued; it will be picked up next run")


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, VcatError):
        return str(exc)
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


def run_analysis(candidate: Candidate, fingerprint: FingerprintResult, stages: tuple[str, ...],
                 opts: AnalysisOptions, prior: dict | None = None) -> ClipAnalysis:
    """Run the analysis stages asked for, in order; a failed stage fails the ones that need it.

    `prior`: what the catalog already holds for stages not run now, for the AI stages' context when they run on
    their own (a queue's `ai` job): {"thumbnails": [chosen image paths], "vision": quality figures,
    "screen_text": [on-screen text spans], "stored_thumbnails": a ThumbnailsResult dump, for stages that run alone
    on a catalogued clip (FROM_CATALOG)}.
    """
    from .cards.clipmeta import clip_metadata  # imported here: heavy, and only pool processes need it

    if not (prior or {}).get("stored_thumbnails"):  # else the caller chose the stages (stages_to_run)
        stages = expand_stages(stages)
    result = ClipAnalysis(candidate=candidate, fingerprint=fingerprint)
    failed: set[str] = set()

    def attempt(stage: str, needs: tuple[str, ...], fn):
        if stage not in stages:
            return None
        started = time.perf_counter()
        blocked = [n for n in needs if n in failed]
        if blocked:
            failed.add(stage)
            result.outcomes.append(StageOutcome(stage=stage, status="failed",
                                                error=f"not run: the {blocked[0]} stage failed"))
            return None
        try:
            value = fn()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a per-file outcome, the run goes on
            failed.add(stage)
            full = is_disk_full(exc)  # the catalog's disk (thumbnails), not the file: the runner stops the run
            result.outcomes.append(StageOutcome(
                stage=stage, status="failed", error=_error_text(exc) if not full else
                f"the disk holding the catalog is full ({exc})", error_kind="CatalogDiskFull" if full
                else type(exc).__name__, seconds=time.perf_counter() - started))
            return None
        result.outcomes.append(StageOutcome(stage=stage, status="succeeded", seconds=time.perf_counter() - started))
        return value

    def metadata():
        _still_same_file(candidate)
        return clip_metadata(candidate, fingerprint)

    result.metadata = attempt("metadata", (), metadata)
    if result.metadata is not None and result.metadata.decodable is False:
        why = result.metadata.raw.get("not_decodable") or "FFmpeg here has no decoder for it"
        for stage in stages:  # camera raw FFmpeg cannot decode: catalogued from what could be read
            if stage != "metadata":
                result.outcomes.append(StageOutcome(stage=stage, status="skipped", error=f"not decodable here: {why}"))
        return result
    with tempfile.TemporaryDirectory(prefix="vcat-span-") as scratch:
        media, proxies = _media_path(candidate, result.metadata, scratch)
        done = len(result.outcomes)
        out = _decoding_stages(result, candidate, fingerprint, stages, opts, prior, attempt, failed, media)
        for outcome in out.outcomes[done:]:  # each decoding stage says it read the proxies, not the original
            if proxies and outcome.status == "succeeded" and outcome.stage in PROXY_READERS:
                outcome.read_from = proxies
        return out


PROXY_READERS = ("thumbnails", "exposure", "vision", "transcribe")  # stages that decode the footage's media


def _media_path(candidate: Candidate, md, scratch: str) -> tuple[str, list[str] | None]:
    """What the decoding stages open: the file, or for a spanned recording one list of all its parts; a proxy
    (or one per part) that matches the original and is cheaper to decode instead, named in the second item."""
    from .cards.proxies import analysis_proxies
    from .cards.span import write_concat_list

    proxies = analysis_proxies(md)
    if proxies:
        if len(proxies) == 1:
            return proxies[0], proxies
        durations = [p.duration_seconds for p in md.parts if p.role == "proxy"]
        return write_concat_list(proxies, durations, scratch), proxies
    if not candidate.parts:
        return candidate.path, None
    durations = [p.duration_seconds for p in md.parts if p.role == "part"] if md is not None and md.parts else \
        [_probe_duration(p.path) for p in candidate.parts]
    return write_concat_list([p.path for p in candidate.parts], durations, scratch), None


def _decoding_stages(result: ClipAnalysis, candidate: Candidate, fingerprint: FingerprintResult,
                     stages: tuple[str, ...], opts: AnalysisOptions, prior: dict | None, attempt, failed: set[str],
                     media: str) -> ClipAnalysis:
    from .thumbnails import extract_thumbnails
    from .vision_stage import candidate_quality, run_vision

    # the watchdog's bound grows with the footage: tell it how long this clip is as soon as it is known
    duration = result.metadata.duration_seconds if result.metadata is not None else \
        _probe_duration(media) if "metadata" not in stages else None
    report_media_seconds(duration)
    thumbs_wanted = thumbnails_for(duration, opts.thumbnails)
    if result.metadata is not None and "truncated" in result.metadata.warnings:
        # catalogue what can be read, but a truncated original is a failure a person must see
        result.outcomes[-1] = StageOutcome(stage="metadata", status="failed", seconds=result.outcomes[-1].seconds,
                                           error=_truncation_text(result.metadata), error_kind="Truncated")
    rel_dir = f"thumbnails/{fingerprint.digest}"
    out_dir = Path(opts.catalog_dir) / rel_dir

    def thumbnails():
        _still_same_file(candidate)
        maybe_hang(candidate.path)  # tests: a decode that never returns
        res = extract_thumbnails(media, out_dir, rel_dir, count=thumbs_wanted, widths=opts.widths,
                                 thresholds=opts.thresholds, fmt=opts.thumbnail_format,
                                 analyser=candidate_quality if "vision" in stages else None)
        if not res.thumbnails:
            raise MediaError("no frame could be decoded for a thumbnail")
        return res  # extract_thumbnails already removed the images of an earlier run it did not write again

    meta_needed = () if result.metadata is not None or "metadata" not in stages else ("metadata",)
    result.thumbnails = attempt("thumbnails", meta_needed, thumbnails)

    def exposure():
        frames = [t.exposure for t in result.thumbnails.thumbnails if t.exposure is not None]
        agg = clip_exposure(frames, opts.thresholds)
        if agg is None:
            raise MediaError("no thumbnail to measure exposure on")
        return agg

    result.exposure = attempt("exposure", ("thumbnails",) if result.thumbnails is None else (), exposure)

    def vision():
        _still_same_file(candidate)
        outcome, kept = run_vision(media, result.thumbnails, opts.catalog_dir, thumbs_wanted, opts.vision,
                                   opts.text_frames, opts.text_every)
        result.thumbnails = kept
        result.screen_text = outcome.screen_text
        return outcome

    result.vision = attempt("vision", ("thumbnails",) if result.thumbnails is None else (), vision)

    stored = (prior or {}).get("stored_thumbnails")

    def faces():
        from .faces_stage import run_faces

        thumbs = result.thumbnails or (ThumbnailsResult.model_validate(stored) if stored else None)
        if thumbs is None:
            raise MediaError("no thumbnails to look for faces on")
        return run_faces(thumbs, opts.catalog_dir, fingerprint.digest, duration)

    result.faces = attempt("faces", ("thumbnails",) if result.thumbnails is None and not stored else (), faces)
    _ai_stages(result, stages, opts, attempt, prior or {}, media)
    return result


def _ai_stages(result: ClipAnalysis, stages: tuple[str, ...], opts: AnalysisOptions, attempt, prior: dict,
               media: str) -> None:
    """Transcript (+ speakers, non-speech events), structured analysis, embeddings."""
    if not {"transcribe", "analyze", "embed"} & set(stages):
        return
    from .. import ai

    candidate = result.candidate
    audio_box: dict = {}

    def transcribe():
        _still_same_file(candidate)
        audio = ai.analyse_audio(media, opts.ai)
        audio_box["audio"] = audio
        return audio.model_dump(mode="json")

    result.audio = attempt("transcribe", (), transcribe)

    def analyze():
        audio = audio_box["audio"]
        if result.thumbnails is not None:
            thumbs = [str(Path(opts.catalog_dir) / t.images[-1].path) for t in result.thumbnails.thumbnails
                      if t.images and (t.ranking or {}).get("chosen")][:8]
        else:
            thumbs = list(prior.get("thumbnails") or [])[:8]
        analysis = ai.analyse_content(
            audio.transcript, audio.events, metadata=result.metadata.model_dump(mode="json") if result.metadata
            else None, vision=result.vision.quality if result.vision else prior.get("vision"),
            speakers=audio.speakers,
            thumbnails=thumbs, video_path=candidate.path, settings=opts.ai)
        audio_box["analysis"] = analysis
        if analysis.on_screen_text:  # the cloud path (Gemini watched the video): its text and times
            result.screen_text = [t.model_dump() for t in analysis.on_screen_text if t.text.strip()]
        if not analysis.complete:  # kept for a look, but the stage fails so the next run tries again
            raise ai.AIError("analysis incomplete: " + "; ".join(analysis.problems or ["fields missing"]))
        return analysis.model_dump(mode="json")

    result.analysis = attempt("analyze", ("transcribe",) if result.audio is None else (), analyze)
    if result.analysis is None and "analysis" in audio_box:
        result.analysis = audio_box["analysis"].model_dump(mode="json")  # stored with complete=False

    def embed():
        seen = result.screen_text if result.screen_text is not None else prior.get("screen_text")
        return embed_clip(audio_box["audio"].transcript, audio_box.get("analysis"), opts.ai, seen)

    blocked = ("transcribe",) if result.audio is None else ("analyze",) if "analysis" not in audio_box else ()
    result.embeddings = attempt("embed", blocked, embed)


def embed_clip(transcript, analysis, ai_settings: dict, screen_text: list[dict] | None = None) -> list[dict]:
    """Vectors for one clip: the clip as a whole (summary, keywords, names, scene, transcript), each transcript
    segment and each on-screen text span (so search by meaning can land on a moment). `transcript` is an
    ai.Transcript, `analysis` anything with the Analysis fields (or None), `screen_text` the spans
    ({text, start_seconds, end_seconds})."""
    from .. import ai

    items = [{"kind": "clip", "ref": 0, "start_seconds": None, "end_seconds": None,
              "text": ai.clip_embedding_text(analysis, transcript)}]
    for i, seg in enumerate(transcript.segments if transcript is not None else []):
        if seg.text.strip():
            items.append({"kind": "segment", "ref": i, "start_seconds": seg.start, "end_seconds": seg.end,
                          "text": seg.text.strip()})
    for i, span in enumerate(screen_text or []):
        items.append({"kind": "screen_text", "ref": i, "start_seconds": span["start_seconds"],
                      "end_seconds": span["end_seconds"], "text": (span.get("text") or "").strip()})
    items = [it for it in items if it["text"]]
    vectors = ai.embed_texts([it["text"] for it in items], ai_settings) if items else []
    return [{**it, "model": v.model, "dim": v.dim, "vector": list(map(float, v.vector))}
            for it, v in zip(items, vectors)]


def thumbnails_for(duration: float | None, wanted: int) -> int:
    """At most `wanted` thumbnails, and no closer than MIN_THUMBNAIL_SPACING apart: a one-second clip gets four, not
    thirty near-identical frames (each written at three sizes; on a drive of short clips that was most of the
    ingest's time)."""
    if not duration or duration <= 0:
        return wanted
    return max(1, min(wanted, math.ceil(duration / MIN_THUMBNAIL_SPACING)))


def _probe_duration(path: str) -> float | None:
    """A clip's duration from its container header alone (stage-only runs: metadata is not re-read)."""
    try:
        from .av_open import open_video

        with open_video(path, "reading its duration") as container:
            return container.duration / 1_000_000 if container.duration else None
    except Exception:  # noqa: BLE001 - only a hint for the watchdog
        return None


def _truncation_text(md) -> str:
    detail = next((w for w in md.warnings if w.startswith("truncated:")), None)
    return detail.replace("truncated:", "file is truncated:", 1) if detail else \
        "file is truncated: its data ends before the length its header declares"
