"""Clip detail: thumbnails drawn inline (Kitty graphics / Sixel / half cells), a strip to step through them, a
timeline (shots, speech, search moments, the playhead: ←→ scrub through the frames, `:` jumps to a timecode, `o`
plays from the playhead), every technical field grouped with its provenance, quality flags, stage status, tags,
collections, and the culling keys (0-5 stars, p pick, x reject, 6-9 labels)."""

from __future__ import annotations

from typing import Any, Callable

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from .. import format as fmt
from .. import images
from ..messages import DetailLoaded, ThumbnailsLoaded
from ..widgets.metadata_view import MetadataView
from ..widgets.thumbnail import Thumbnail
from ..widgets.thumbnail_strip import ThumbnailStrip
from ..widgets.timeline import Marks, Timeline, parse_timecode
from .clip_actions import CLIP_BINDINGS, ClipActions
from .cull_actions import CULL_BINDINGS, CullActions
from .prompt_screen import PromptScreen

LARGE_WIDTH = 640
STRIP_WIDTH = 160


def quality_flags(doc: dict[str, Any]) -> list[str]:
    tm = doc.get("technical_metadata") or {}
    flags = []
    if tm.get("exposure_issue"):
        stops = tm.get("exposure_stops")
        flags.append(f"{tm['exposure_issue']}" + (f" ({stops:+.1f} EV)" if stops is not None else ""))
    if tm.get("is_vfr"):
        flags.append("variable frame rate")
    flags += [w.replace("_", " ") for w in doc.get("metadata_warnings") or []]
    if doc.get("status") not in (None, "ready"):
        flags.append(f"status {doc['status']}")
    offline = [loc for loc in doc.get("locations") or [] if not loc.get("online", True)]
    if offline:
        flags.append(f"{len(offline)} location(s) offline")
    if len(doc.get("locations") or []) > 1:
        flags.append(f"{len(doc['locations'])} copies")
    return flags


def stage_lines(doc: dict[str, Any]) -> Content:
    stages = doc.get("stages") or {}
    if not stages:
        return Content.styled("no stage has run", "$foreground-muted")
    lines = []
    for name, st in stages.items():
        status = st.get("status")
        mark, style = {"succeeded": ("✓", "$success"), "failed": ("✗", "$error"),
                       "skipped": ("–", "$foreground-muted")}.get(status, ("·", "$foreground-muted"))
        detail = f"{st['seconds']:.2f} s" if st.get("seconds") else (status or "")
        if status == "failed":
            detail = st.get("error") or "failed"
        lines.append(Content.assemble((mark, style), f" {name:<12} ", (detail, "$foreground-muted")))
    return Content("\n").join(lines)


def nearest_frame(frames: list[dict[str, Any]], seconds: float) -> int:
    """The index of the last frame at or before `seconds` (the first frame when all come later)."""
    best = 0
    for i, f in enumerate(frames):
        if (f.get("timestamp_seconds") or 0.0) <= seconds + 1e-6:
            best = i
    return best


class DetailScreen(CullActions, ClipActions, Screen):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back"),
        Binding("left,h", "thumb(-1)", "◀ Frame"),
        Binding("right,l", "thumb(1)", "Frame ▶"),
        Binding("colon", "jump", "Jump to time"),
        Binding("left_square_bracket", "clip(-1)", "Prev clip", show=False),
        Binding("right_square_bracket", "clip(1)", "Next clip", show=False),
        *CULL_BINDINGS,
        *CLIP_BINDINGS,
        Binding("r", "reload", "Reload", show=False),
    ]

    def __init__(self, clip_id: int, step: Callable[[int], int | None] | None = None,
                 moment_of: Callable[[int], float | None] | None = None) -> None:
        super().__init__()
        self.clip_id = clip_id
        self.step = step
        self.moment_of = moment_of  # a search hit's moment inside a clip: the playhead starts there
        self.doc: dict[str, Any] | None = None
        self.frames: list[dict[str, Any]] = []
        self.large: dict[int, Any] = {}
        self.index = 0
        self.position: float | None = None  # the playhead, seconds into the clip
        self.marks = Marks()

    def compose(self) -> ComposeResult:
        yield Static("Loading…", id="detail-title", classes="screen-title")
        with Horizontal(id="detail-body"):
            with Vertical(id="detail-media"):
                yield Thumbnail("", id="detail-image")
                yield ThumbnailStrip(id="detail-strip")
                yield Timeline(id="detail-timeline")
                yield Static("", id="detail-flags")
                yield Static("", id="detail-labels")
                yield Static("Stages", classes="section-title")
                yield Static("", id="detail-stages")
            yield MetadataView(id="detail-metadata")
        yield Footer()

    def on_mount(self) -> None:
        self._load(self.clip_id)
        self.query_one(MetadataView).focus()

    # ---- loading -----------------------------------------------------------------------------------------------

    @work(thread=True, group="detail", exclusive=True, exit_on_error=False)
    def _load(self, clip_id: int) -> None:
        doc = self.app.catalog.clip_detail(str(clip_id))
        large = None
        strip: dict[int, Any] = {}
        if doc:
            small = images.pick(doc.get("thumbnails") or [], STRIP_WIDTH)
            big = images.pick(doc.get("thumbnails") or [], LARGE_WIDTH)
            if big:
                first = next(iter(big.values()))
                large = images.load(first["path"], LARGE_WIDTH)
            self.post_message(DetailLoaded(clip_id, doc, large))
            strip = {i: images.load(t["path"], STRIP_WIDTH) for i, t in small.items()}
            self.post_message(ThumbnailsLoaded(clip_id, "strip", strip))
        else:
            self.post_message(DetailLoaded(clip_id, None, None))

    @on(DetailLoaded)
    def _loaded(self, msg: DetailLoaded) -> None:
        if msg.clip_id != self.clip_id:
            return
        doc = self.doc = msg.doc
        title = self.query_one("#detail-title", Static)
        if doc is None:
            title.update(f"Clip {msg.clip_id} is no longer in the catalog")
            return
        tm = doc.get("technical_metadata") or {}
        title.update(" · ".join(x for x in (
            doc.get("file_name"), fmt.human_duration(doc.get("duration_seconds")),
            fmt.resolution(tm.get("resolution_width"), tm.get("resolution_height")),
            f"{fmt.fps(tm.get('frame_rate'))} fps" if tm.get("frame_rate") else None, tm.get("codec")) if x))
        self.frames = list(images.pick(doc.get("thumbnails") or [], LARGE_WIDTH).values())
        moment = self.moment_of(msg.clip_id) if self.moment_of else None
        self.marks = Marks.of(doc, [moment] if moment is not None else [])
        if self.position is None:  # first load of this clip: at the search moment, else the first frame
            self.position = moment if moment is not None else (
                self.frames[0]["timestamp_seconds"] if self.frames else 0.0)
            self.index = nearest_frame(self.frames, self.position)
        self.index = min(self.index, max(len(self.frames) - 1, 0))
        if self.frames and msg.image is not None:
            self.large[self.frames[0]["frame_index"]] = msg.image
        self.query_one(ThumbnailStrip).set_frames(self.frames)
        self._show_frame()
        flags = quality_flags(doc)
        self.query_one("#detail-flags", Static).update(
            Content.assemble(("Flags  ", "$foreground-muted"), ", ".join(flags) if flags else "none"))
        self.query_one("#detail-flags", Static).set_class(bool(flags), "-warning")
        cull = fmt.cull_parts(doc.get("rating") or 0, doc.get("pick"), doc.get("label"))
        labels = [Content.assemble(("Rating ", "$foreground-muted"),
                                   *(((" " if i else "") + text, style or "$text-warning")
                                     for i, (text, style) in enumerate(cull)) if cull else "—",
                                   (f"  {doc['label']}" if doc.get("label") else "", "$foreground-muted")),
                  Content.assemble(("Tags   ", "$foreground-muted"), ", ".join(doc.get("tags") or []) or "—"),
                  Content.assemble(("In     ", "$foreground-muted"), ", ".join(doc.get("collections") or []) or "—")]
        self.query_one("#detail-labels", Static).update(Content("\n").join(labels))
        self.query_one("#detail-stages", Static).update(stage_lines(doc))
        self.query_one(MetadataView).show(doc)

    @on(ThumbnailsLoaded)
    def _thumbs_loaded(self, msg: ThumbnailsLoaded) -> None:
        if msg.clip_id != self.clip_id:
            return
        if msg.size == "strip":
            self.query_one(ThumbnailStrip).set_images(msg.images)
        else:
            self.large.update(msg.images)
            self._show_frame()

    def _show_frame(self) -> None:
        thumb = self.query_one("#detail-image", Thumbnail)
        strip = self.query_one(ThumbnailStrip)
        strip.select(self.index)
        self.query_one(Timeline).show(self.marks, self.position or 0.0)
        if not self.frames:
            thumb.show(None, "No thumbnails: the thumbnail stage failed or has not run.")
            return
        frame = self.frames[self.index]
        image = self.large.get(frame["frame_index"])
        if image is None:
            thumb.show(None, "…")
            self._load_large(self.clip_id, frame["frame_index"], frame["path"])
        else:
            thumb.show(image)

    @work(thread=True, group="large", exclusive=True, exit_on_error=False)
    def _load_large(self, clip_id: int, frame_index: int, path: str) -> None:
        self.post_message(ThumbnailsLoaded(clip_id, "large", {frame_index: images.load(path, LARGE_WIDTH)}))

    # ---- actions -----------------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_thumb(self, delta: int) -> None:
        """Scrub: the previous / next frame, the playhead with it."""
        if self.frames:
            self.index = (self.index + delta) % len(self.frames)
            self.position = self.frames[self.index]["timestamp_seconds"]
            self._show_frame()

    def action_jump(self) -> None:
        self.app.push_screen(PromptScreen("Jump to (83, 1:23, 01:02:03:12)", fmt.timestamp(self.position)),
                             self._jump_to)

    def _jump_to(self, text: str | None) -> None:
        if not text:
            return
        fps = ((self.doc or {}).get("technical_metadata") or {}).get("frame_rate")
        try:
            seconds = parse_timecode(text, fps)
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        duration = self.marks.duration or seconds
        self.position = min(max(seconds, 0.0), duration)
        self.index = nearest_frame(self.frames, self.position)
        self._show_frame()

    def play_from(self) -> float | None:
        """`o` plays from the playhead (in mpv / ffplay; the system's player starts at the beginning)."""
        return self.position

    def cull_current(self):
        return self.doc

    def action_clip(self, delta: int) -> None:
        if self.step is None:
            return
        clip_id = self.step(delta)
        if clip_id is None or clip_id == self.clip_id:
            return
        self.clip_id, self.index, self.large, self.position = clip_id, 0, {}, None
        self._load(clip_id)

    def action_reload(self) -> None:
        self.reload_clips()

    def clip_targets(self) -> list[int]:
        return [self.clip_id] if self.doc else []

    def clip_path(self) -> str | None:
        return self.doc.get("file_path") if self.doc else None

    def reload_clips(self) -> None:
        self.large = {}
        self._load(self.clip_id)
