"""Typed results that cross process and module boundaries.

Stages return these (never dicts of dicts) so the same function can run in the local process pool or inside a queue
job, and the store can persist them without knowing how they were made.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Source = Literal["pyav", "mediainfo", "exiftool", "derived", "sidecar", "xmp"]


class Candidate(BaseModel):
    """A file discovery thinks may be video; `by_content` when only its bytes (not its extension) said so."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    device: int
    by_content: bool = False
    # camera cards (pipeline/cards/): the layout the folder was recognised as, the parts of a spanned recording
    # (this candidate then stands for all of them: path = the first part, size = their sum) and sidecar files
    card: str | None = None
    parts: list["Candidate"] | None = None
    sidecars: list[str] | None = None
    proxies: list[str] | None = None  # low-resolution copies the camera or an editor made (may be absent)
    missing_parts: list[str] | None = None  # names the card's rules expect in the span but the folder lacks

    @property
    def paths(self) -> list[str]:
        """Every file this candidate stands for (one, or each part of a span)."""
        return [p.path for p in self.parts] if self.parts else [self.path]


class FingerprintResult(BaseModel):
    algorithm: str
    digest: str
    size: int
    seconds: float = 0.0
    parts: list[str] | None = None  # a spanned recording: each part's digest (`digest` is made from them)


class ClipPart(BaseModel):
    """One file of a clip: a part of a spanned recording (GoPro chapter, 4 GB split, spanned MXF) or a proxy."""

    index: int
    path: str
    role: Literal["part", "proxy"] = "part"
    size: int = 0
    fingerprint: str | None = None
    duration_seconds: float | None = None
    offset_seconds: float = 0.0  # where the part starts within the whole recording
    timecode: str | None = None
    timecode_frame: int | None = None


class TechnicalMetadata(BaseModel):
    """One reconciled record from PyAV, MediaInfo and ExifTool; `sources` says which tool gave each field."""

    container: str | None = None
    codec: str | None = None
    codec_long_name: str | None = None
    codec_profile: str | None = None
    width: int | None = None
    height: int | None = None
    aspect_ratio: str | None = None  # display aspect ratio, reduced ("16:9") or decimal ("2.39:1")
    pixel_aspect_ratio: float | None = None
    frame_rate: float | None = None
    is_vfr: bool | None = None
    frame_count: int | None = None
    bit_rate_kbps: float | None = None  # overall (container) bit rate
    video_bit_rate_kbps: float | None = None  # the video stream's own bit rate, when a tool knows it
    duration_seconds: float | None = None
    bit_depth: int | None = None
    pixel_format: str | None = None
    chroma_subsampling: str | None = None  # "4:2:0", "4:2:2", "4:4:4"
    color_space: str | None = None  # matrix coefficients, e.g. "bt709"
    color_primaries: str | None = None
    color_transfer: str | None = None
    color_range: str | None = None  # "limited" | "full"
    scan_type: str | None = None  # "progressive" | "interlaced"
    camera_make: str | None = None
    camera_model: str | None = None
    camera_serial: str | None = None
    lens_model: str | None = None
    focal_length: float | None = None  # millimetres
    focal_length_35mm: float | None = None  # 35 mm-equivalent focal length (phones often give only this)
    software: str | None = None  # camera firmware / recording software tag, e.g. "17.4.1"
    gps_latitude: float | None = None
    gps_longitude: float | None = None
    gps_altitude: float | None = None
    timecode: str | None = None  # start timecode as the source writes it ("01:00:00;00": drop-frame)
    # the same start timecode, typed (pipeline/metadata/timecode.py): frames since 00:00:00:00 at rate num/den
    timecode_frame: int | None = None
    timecode_rate_num: int | None = None
    timecode_rate_den: int | None = None
    timecode_drop_frame: bool | None = None
    hdr_format: str | None = None  # "PQ" | "HLG" | "Dolby Vision" (a facet: `list --hdr`)
    log_profile: str | None = None  # "S-Log3", "V-Log", "C-Log3", "N-Log", "HLG" …: the camera's gamma curve
    gamma: str | None = None  # the gamma / transfer the camera or a sidecar names, as written ("s-log3-cine")
    mastering_display: dict[str, Any] | None = None  # SMPTE ST 2086: primaries, white point, min/max luminance
    max_cll: int | None = None  # content light level (cd/m²)
    max_fall: int | None = None
    iso: int | None = None
    exposure_index: str | None = None  # shutter / exposure as the sidecar writes it ("1/50", "180.0°")
    card_layout: str | None = None  # "avchd", "xavc", "canon_xf", "p2", "gopro", "dji", "braw", "r3d" …
    decodable: bool | None = None  # False: catalogued from what can be read, FFmpeg here cannot decode it
    part_count: int | None = None  # parts of a spanned recording (None: one file)
    parts: list[ClipPart] = Field(default_factory=list)
    parts_missing: list[str] = Field(default_factory=list)  # names of parts the card's rules expect but lack
    keywords: list[str] = Field(default_factory=list)  # XMP / sidecar keywords (become tags)
    rating: int | None = None  # XMP Rating, handed to the culling tables at merge
    label: str | None = None  # XMP Label
    description: str | None = None
    rotation: int | None = None  # degrees clockwise the player applies
    audio_codec: str | None = None
    audio_channels: int | None = None
    audio_sample_rate: int | None = None
    audio_tracks: int = 0
    video_tracks: int = 0
    created_at: datetime | None = None
    created_at_source: str | None = None  # which tag gave created_at (camera tag before container date)
    created_at_local: str | None = None  # the recording date as the camera wrote it, with its zone (ISO 8601)
    sources: dict[str, Source] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list)  # validation flags: "truncated", "missing_duration", ...
    raw: dict[str, Any] = Field(default_factory=dict)  # per-source raw values, kept for provenance


class ExposureMetrics(BaseModel):
    """Exposure of one frame or one clip (see pipeline/exposure.py for the rule)."""

    overexposed_percentage: float
    underexposed_percentage: float
    mean_luma: float  # 0..255, full range
    exposure_stops: float  # log2(mean linear luminance / 0.18): 0 = mid-grey, +1 = a stop over
    exposure_warning: Literal["overexposed", "underexposed"] | None = None


class ThumbnailImage(BaseModel):
    width: int
    height: int
    path: str  # relative to the catalog directory


class Thumbnail(BaseModel):
    index: int
    frame_number: int
    timestamp_seconds: float
    is_keyframe: bool
    images: list[ThumbnailImage]
    exposure: ExposureMetrics | None = None
    quality: dict[str, Any] | None = None  # the vision stage's figures for this frame (vision.FrameQuality)
    ranking: dict[str, Any] | None = None  # how thumbnail selection scored it (vision.CandidateRanking)


class ThumbnailsResult(BaseModel):
    thumbnails: list[Thumbnail]
    frames_decoded: int = 0
    seconds: float = 0.0


class StageOutcome(BaseModel):
    stage: str
    status: Literal["succeeded", "failed", "skipped"]
    error: str | None = None
    error_kind: str | None = None  # the error class name, e.g. NotAVideoError
    seconds: float = 0.0
    read_from: list[str] | None = None  # the proxies a decoding stage read instead of the original


class VisionResult(BaseModel):
    """The vision stage of one clip: aggregate quality with flags, shots, and the thumbnail selection."""

    quality: dict[str, Any]  # vision.ClipQuality
    shots: list[dict[str, Any]] = Field(default_factory=list)  # vision.Shot + "thumbnail_index" (representative)
    algorithm_version: str = "vision-1"
    # on-screen text: vision.TextSpan dicts (text, start_seconds, end_seconds, score, frames); None: not read
    screen_text: list[dict[str, Any]] | None = None


class FaceSeen(BaseModel):
    """One face on one frame of a clip: where, when, how clear, who it looks like (a vector), its crop."""

    time_seconds: float
    frame_index: int  # the thumbnail it was found on
    box: list[int]  # x, y, width, height on that thumbnail's largest image
    frame_width: int
    frame_height: int
    score: float  # detector confidence
    vector: list[float]
    thumbnail_path: str | None = None  # the aligned face crop, relative to the catalog directory


class FacesResult(BaseModel):
    """The faces stage of one clip (pipeline/faces_stage.py)."""

    faces: list[FaceSeen] = Field(default_factory=list)
    frames: int = 0  # frames looked at
    model: str = "dlib-resnet-v1"
    detect_ms: float = 0.0  # per frame, mean
    embed_ms: float = 0.0  # per face, mean


class ClipAnalysis(BaseModel):
    """Everything the pool computed for one clip; the orchestrator stores it in one transaction."""

    candidate: Candidate
    fingerprint: FingerprintResult
    metadata: TechnicalMetadata | None = None
    thumbnails: ThumbnailsResult | None = None
    exposure: ExposureMetrics | None = None
    vision: VisionResult | None = None
    faces: FacesResult | None = None
    audio: dict[str, Any] | None = None  # ai.AudioAnalysis: transcript, speakers, non-speech events
    analysis: dict[str, Any] | None = None  # ai.Analysis (seed §2.6 fields + provider, model, complete)
    embeddings: list[dict[str, Any]] | None = None  # {kind, ref, start_seconds, end_seconds, text, model, dim, vector}
    # on-screen text to store ({text, start_seconds, end_seconds}): the vision stage's OCR, or the cloud analysis's
    # when it gave some; None: not read in this run (what the catalog holds stays)
    screen_text: list[dict[str, Any]] | None = None
    outcomes: list[StageOutcome] = Field(default_factory=list)


class ClipFilter(BaseModel):
    """Filters shared by `list`, `export`, the TUI's filter bar and (later) parsed search queries."""

    codec: str | None = None
    resolution: str | None = None  # "720p" | "1080p" | "4k" | "WxH"
    camera: str | None = None  # substring of make or model, case-insensitive
    min_duration: float | None = None
    max_duration: float | None = None
    vfr: bool | None = None
    exposure_warning: bool | None = None
    status: str | None = None  # default: every catalogued clip (ready or partial)
    path_prefix: str | None = None
    tags: list[str] | None = None  # every one of these tags
    collection: str | None = None
    text: str | None = None  # words that must each appear in the name, a path, codec, camera or a tag
    shot_type: str | None = None  # extreme_close_up | close_up | medium | wide | unknown
    blurry: bool | None = None
    min_sharpness: float | None = None
    flag: str | None = None  # any quality flag: blurry, noisy, overexposed, underexposed, heavy_compression
    min_fps: float | None = None
    max_fps: float | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    vertical: bool | None = None  # taller than wide once rotation is applied
    ids: list[int] | None = None  # only these clips
    min_rating: int | None = None  # culling (store/ratings.py): at least this many stars
    max_rating: int | None = None  # at most this many (0: unrated)
    pick: Literal["pick", "reject", "unflagged"] | None = None
    label: str | None = None  # a colour label, or "none" for clips without one
    hdr: bool | None = None  # PQ, HLG or Dolby Vision
    log: bool | None = None  # shot in a camera log curve (S-Log3, V-Log, C-Log3 …)
    gamma: str | None = None  # one log profile / gamma, spelled loosely: "slog3", "S-Log3", "vlog"
    person: str | None = None  # a person seen in the clip: their name (any case) or "#ID" (store/people.py)


class ClipSummary(BaseModel):
    """One row of the browse table / `vcat-core list`."""

    id: int
    name: str
    path: str | None
    size: int
    duration_seconds: float | None
    width: int | None
    height: int | None
    frame_rate: float | None
    codec: str | None
    camera: str | None
    created_at: datetime | None
    is_vfr: bool | None
    exposure_warning: str | None
    status: str
    locations: int = 1
    tags: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)  # quality flags of the vision stage
    shot_type: str | None = None
    sharpness: float | None = None
    rating: int = 0  # culling: stars 0-5, pick / reject, colour label (store/ratings.py)
    pick: str | None = None
    label: str | None = None


class FailureRecord(BaseModel):
    path: str
    stage: str
    error: str
    kind: str
    clip_id: int | None = None
    last_failed_at: datetime | None = None
    attempts: int = 1
