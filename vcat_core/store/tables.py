"""SQLModel tables of the catalog (DESIGN §4). The same schema serves SQLite and Postgres.

Schema changes go through Alembic migrations in `store/migrations/versions/`; keep this file and the newest migration
in step (tests compare them).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, FetchedValue, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from .types import VectorType

STAGES = ("fingerprint", "metadata", "thumbnails", "exposure", "vision", "faces", "transcribe", "analyze", "embed")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _json(**kw: Any) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=True), **kw)


class Clip(SQLModel, table=True):
    """One piece of content, identified by its fingerprint; it may live at several paths (clip_locations)."""

    __tablename__ = "clips"

    id: Optional[int] = Field(default=None, primary_key=True)
    fingerprint: str = Field(index=True, unique=True)
    hash_algorithm: str
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    name: str = Field(index=True)  # file name of the first location seen; for sorting and display
    duration_seconds: Optional[float] = Field(default=None, index=True)
    created_at: Optional[datetime] = Field(default=None, index=True)
    processed_at: Optional[datetime] = None
    first_seen_at: datetime = Field(default_factory=utcnow)
    status: str = Field(default="pending", index=True)  # pending | ready | partial | failed
    # who catalogued it: on Postgres the database fills it in (vcat_current_user(), migration 0009), so the ORM
    # leaves it out of INSERTs (FetchedValue); None on SQLite
    owner: Optional[str] = Field(default=None, index=True, sa_column_kwargs={"server_default": FetchedValue()})
    project_id: Optional[int] = Field(default=None, foreign_key="projects.id", index=True, ondelete="SET NULL")


class Project(SQLModel, table=True):
    """A shared set of clips: on Postgres its members may read every clip in it (row-level security, 0009)."""

    __tablename__ = "projects"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    # Postgres: the creating role, filled in by the database (like clips.owner); it manages the members
    created_by: Optional[str] = Field(default=None, sa_column_kwargs={"server_default": FetchedValue()})
    created_at: datetime = Field(default_factory=utcnow)


class ProjectMember(SQLModel, table=True):
    """A role (Postgres role name or Supabase user id) that may read a project's clips."""

    __tablename__ = "project_members"

    project_id: int = Field(foreign_key="projects.id", primary_key=True, ondelete="CASCADE")
    member: str = Field(primary_key=True, index=True)
    added_at: datetime = Field(default_factory=utcnow)


class ClipLocation(SQLModel, table=True):
    """A path where a clip's bytes were found; `online` goes false when a rescan no longer finds it."""

    __tablename__ = "clip_locations"

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    path: str = Field(unique=True)
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    mtime_ns: int = Field(sa_column=Column(BigInteger, nullable=False))
    inode: int = Field(sa_column=Column(BigInteger, nullable=False))
    device: int = Field(sa_column=Column(BigInteger, nullable=False))
    seen_at: datetime = Field(default_factory=utcnow)
    online: bool = True


class TechnicalMetadataRow(SQLModel, table=True):
    """Reconciled technical metadata (1:1 with a clip); `sources`: which tool gave each field, `raw`: their output."""

    __tablename__ = "technical_metadata"

    clip_id: int = Field(foreign_key="clips.id", primary_key=True, ondelete="CASCADE")
    container: Optional[str] = None
    codec: Optional[str] = Field(default=None, index=True)
    codec_long_name: Optional[str] = None
    codec_profile: Optional[str] = None
    width: Optional[int] = Field(default=None, index=True)
    height: Optional[int] = Field(default=None, index=True)
    aspect_ratio: Optional[str] = None
    pixel_aspect_ratio: Optional[float] = None
    frame_rate: Optional[float] = None
    is_vfr: Optional[bool] = None
    frame_count: Optional[int] = None
    bit_rate_kbps: Optional[float] = None
    video_bit_rate_kbps: Optional[float] = None
    duration_seconds: Optional[float] = None
    bit_depth: Optional[int] = None
    pixel_format: Optional[str] = None
    chroma_subsampling: Optional[str] = None
    color_space: Optional[str] = None
    color_primaries: Optional[str] = None
    color_transfer: Optional[str] = None
    color_range: Optional[str] = None
    scan_type: Optional[str] = None
    camera_make: Optional[str] = Field(default=None, index=True)
    camera_model: Optional[str] = Field(default=None, index=True)
    camera_serial: Optional[str] = None
    lens_model: Optional[str] = None
    focal_length: Optional[float] = None
    focal_length_35mm: Optional[float] = None
    software: Optional[str] = None
    gps_latitude: Optional[float] = None
    gps_longitude: Optional[float] = None
    gps_altitude: Optional[float] = None
    timecode: Optional[str] = None  # source start timecode, normalised ("01:00:00;00": drop-frame)
    # the same start timecode typed (pipeline/metadata/timecode.py): frame number since 00:00:00:00 at num/den fps
    timecode_frame: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    timecode_rate_num: Optional[int] = None
    timecode_rate_den: Optional[int] = None
    timecode_drop_frame: Optional[bool] = None
    hdr_format: Optional[str] = Field(default=None, index=True)  # PQ | HLG | Dolby Vision
    log_profile: Optional[str] = Field(default=None, index=True)  # S-Log3, V-Log, C-Log3 …
    gamma: Optional[str] = None
    mastering_display: Optional[dict] = _json()
    max_cll: Optional[int] = None
    max_fall: Optional[int] = None
    iso: Optional[int] = None
    exposure_index: Optional[str] = None
    card_layout: Optional[str] = None
    decodable: Optional[bool] = None
    part_count: Optional[int] = None
    parts_missing: Optional[list] = _json()
    description: Optional[str] = None
    rotation: Optional[int] = None
    audio_codec: Optional[str] = None
    audio_channels: Optional[int] = None
    audio_sample_rate: Optional[int] = None
    audio_tracks: int = 0
    video_tracks: int = 0
    created_at: Optional[datetime] = None
    created_at_source: Optional[str] = None
    created_at_local: Optional[str] = None  # ISO 8601 with the camera's own UTC offset (created_at is stored in UTC)
    sources: Optional[dict] = _json()
    warnings: Optional[list] = _json()
    raw: Optional[dict] = _json()


class ClipPartRow(SQLModel, table=True):
    """One file of a clip made of several: a part of a spanned recording (in order) or a proxy, with the part's own
    duration, offset in the recording and start timecode. Every such file is also a location of the clip."""

    __tablename__ = "clip_parts"
    __table_args__ = (UniqueConstraint("clip_id", "role", "part_index", name="uq_clip_part"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    part_index: int
    role: str = "part"  # part | proxy
    path: str
    size: int = Field(sa_column=Column(BigInteger, nullable=False))
    fingerprint: Optional[str] = None
    duration_seconds: Optional[float] = None
    offset_seconds: float = 0.0
    timecode: Optional[str] = None
    timecode_frame: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))


class ThumbnailRow(SQLModel, table=True):
    """One stored image: a frame (`frame_index` within the clip's picks) at one size variant."""

    __tablename__ = "thumbnails"
    __table_args__ = (UniqueConstraint("clip_id", "frame_index", "width", name="uq_thumbnail_variant"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    frame_index: int
    frame_number: int
    timestamp_seconds: float
    width: int
    height: int
    path: str
    is_keyframe: bool = True
    scores: Optional[dict] = _json()
    remote_path: Optional[str] = None  # "bucket/key" of the copy in remote storage (Supabase), once uploaded


class VisionMetrics(SQLModel, table=True):
    """Per-clip image metrics; exposure now, the other quality metrics as their stage lands."""

    __tablename__ = "vision_metrics"

    clip_id: int = Field(foreign_key="clips.id", primary_key=True, ondelete="CASCADE")
    overexposed_percentage: Optional[float] = None
    underexposed_percentage: Optional[float] = None
    mean_luma: Optional[float] = None
    exposure_stops: Optional[float] = None
    exposure_warning: Optional[str] = Field(default=None, index=True)
    algorithm_version: str = "exposure-1"
    sharpness: Optional[float] = Field(default=None, index=True)  # clip medians (vision stage), worst for flags
    sharpness_worst: Optional[float] = None
    noise: Optional[float] = None
    noise_worst: Optional[float] = None
    blockiness: Optional[float] = None
    blockiness_worst: Optional[float] = None
    complexity: Optional[float] = None
    shot_type: Optional[str] = Field(default=None, index=True)
    flags: Optional[list] = _json()  # blurry, noisy, overexposed, underexposed, heavy_compression
    shots: Optional[list] = _json()  # [{start_seconds, end_seconds, cut_score, thumbnail_index}]
    vision_version: Optional[str] = None


class StageRun(SQLModel, table=True):
    """Status of one pipeline stage for one clip: what a resumed or forced run consults."""

    __tablename__ = "stage_runs"
    __table_args__ = (UniqueConstraint("clip_id", "stage", name="uq_stage_run"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    stage: str
    status: str  # pending | running | succeeded | failed | skipped
    attempts: int = 0
    error: Optional[str] = None
    seconds: Optional[float] = None
    version: Optional[str] = None
    finished_at: Optional[datetime] = None
    read_from: Optional[list] = _json()  # the proxy files a decoding stage read instead of the clip's own


class FileFailure(SQLModel, table=True):
    """A path that could not be catalogued (no clip row exists for it): what `vcat-core failures` lists."""

    __tablename__ = "file_failures"

    id: Optional[int] = Field(default=None, primary_key=True)
    path: str = Field(unique=True)
    stage: str
    error: str
    error_kind: str
    size: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    mtime_ns: Optional[int] = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    attempts: int = 1
    first_failed_at: datetime = Field(default_factory=utcnow)
    last_failed_at: datetime = Field(default_factory=utcnow)
    run_id: Optional[int] = Field(default=None, foreign_key="ingest_runs.id", ondelete="SET NULL")
    # Postgres: who it belongs to, filled in by the database (migration 0013); unique with `path` there (each member has their own row)
    owner: Optional[str] = Field(default=None, index=True, sa_column_kwargs={"server_default": FetchedValue()})


class IngestRun(SQLModel, table=True):
    """One `ingest` invocation: when, what, how it ended, and its counts."""

    __tablename__ = "ingest_runs"

    id: Optional[int] = Field(default=None, primary_key=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: Optional[datetime] = None
    status: str = "running"  # running | finished | cancelled | crashed
    paths: Optional[list] = _json()
    counts: Optional[dict] = _json()
    host: Optional[str] = None
    pid: Optional[int] = None
    # Postgres: who it belongs to, filled in by the database (migration 0013); only they read or change it
    owner: Optional[str] = Field(default=None, index=True, sa_column_kwargs={"server_default": FetchedValue()})


Index("ix_clip_locations_device_inode", ClipLocation.device, ClipLocation.inode)


class Tag(SQLModel, table=True):
    """A free-text label; names are unique case-insensitively (stored lower-cased, trimmed)."""

    __tablename__ = "tags"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    created_at: datetime = Field(default_factory=utcnow)


class ClipTag(SQLModel, table=True):
    __tablename__ = "clip_tags"

    clip_id: int = Field(foreign_key="clips.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tags.id", primary_key=True, index=True, ondelete="CASCADE")
    added_at: datetime = Field(default_factory=utcnow)


class Collection(SQLModel, table=True):
    """A named, ordered set of clips a person builds (a selects reel, a project bin)."""

    __tablename__ = "collections"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(unique=True)
    description: Optional[str] = None
    created_at: datetime = Field(default_factory=utcnow)
    # Postgres: its creator (migration 0013): everyone reads and fills it, only the owner renames or deletes it
    owner: Optional[str] = Field(default=None, sa_column_kwargs={"server_default": FetchedValue()})


class CollectionClip(SQLModel, table=True):
    __tablename__ = "collection_clips"

    collection_id: int = Field(foreign_key="collections.id", primary_key=True, ondelete="CASCADE")
    clip_id: int = Field(foreign_key="clips.id", primary_key=True, index=True, ondelete="CASCADE")
    position: int = 0
    added_at: datetime = Field(default_factory=utcnow)


class ClipRating(SQLModel, table=True):
    """How a person judged a clip while culling: stars 0-5, pick / reject, a colour label. User data like tags
    (DESIGN §10): never derived, so no ingest, re-analysis or re-run writes this table (an XMP rating read at ingest
    only seeds a clip that has no row yet). A clip without a row is unrated, unflagged, unlabelled."""

    __tablename__ = "clip_ratings"

    clip_id: int = Field(foreign_key="clips.id", primary_key=True, ondelete="CASCADE")
    rating: int = Field(default=0, index=True)  # 0 (none) .. 5 stars
    flag: Optional[str] = Field(default=None, index=True)  # "pick" | "reject" | None
    label: Optional[str] = Field(default=None, index=True)  # red | yellow | green | blue | purple | None
    source: str = "user"  # "user" or "xmp" (seeded from the file's XMP at ingest)
    updated_at: datetime = Field(default_factory=utcnow)


class CatalogState(SQLModel, table=True):
    """One row: a counter every catalog write bumps, so viewers (the TUI) can poll for changes cheaply."""

    __tablename__ = "catalog_state"

    id: int = Field(default=1, primary_key=True)
    changes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))
    # bumped only when vectors are written: the in-process vector matrix (SQLite) reloads on this, not on tags
    vector_changes: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class TranscriptRow(SQLModel, table=True):
    """Speech and sound of a clip: full text, timestamped segments (with speakers), non-speech events."""

    __tablename__ = "transcripts"

    clip_id: int = Field(foreign_key="clips.id", primary_key=True, ondelete="CASCADE")
    language: Optional[str] = None
    text: str = ""
    no_speech: bool = False
    segments: Optional[list] = _json()
    speakers: Optional[dict] = _json()
    events: Optional[list] = _json()
    model: Optional[str] = None
    duration_seconds: Optional[float] = None
    created_at: datetime = Field(default_factory=utcnow)


class AnalysisRow(SQLModel, table=True):
    """The structured understanding of a clip (seed §2.6), with the provider/model that made it."""

    __tablename__ = "analysis_results"

    clip_id: int = Field(foreign_key="clips.id", primary_key=True, ondelete="CASCADE")
    summary: str = ""
    keywords: Optional[list] = _json()
    entities: Optional[list] = _json()
    scene_classification: Optional[str] = Field(default=None, index=True)
    sentiment_label: Optional[str] = None
    sentiment_score: Optional[float] = None
    content_warnings: Optional[list] = _json()
    technical_quality: Optional[dict] = _json()
    provider: Optional[str] = None
    model: Optional[str] = None
    complete: bool = True
    problems: Optional[list] = _json()
    usage: Optional[dict] = _json()
    raw: Optional[dict] = _json()
    created_at: datetime = Field(default_factory=utcnow)


class EmbeddingRow(SQLModel, table=True):
    """One vector: a clip (summary + keywords + transcript), a transcript segment or a shot; model and dimension are
    stored with it so vectors of different models are never compared."""

    __tablename__ = "embeddings"
    __table_args__ = (UniqueConstraint("clip_id", "kind", "ref", "model", name="uq_embedding"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    kind: str  # clip | segment | shot
    ref: int = 0  # segment / shot index; 0 for the clip
    start_seconds: Optional[float] = None
    end_seconds: Optional[float] = None
    text: str = ""  # what was embedded (the snippet a search result shows)
    model: str = Field(index=True)
    dim: int
    vector: Any = Field(sa_column=Column(VectorType(), nullable=False))


class VectorLog(SQLModel, table=True):
    """Every vector written or deleted on a SQLite catalog, in order (triggers, migration 0017): what the vector
    file beside the catalog follows (search/vector_file.py). Empty on Postgres."""

    __tablename__ = "vector_log"
    __table_args__ = {"sqlite_autoincrement": True}

    seq: Optional[int] = Field(default=None, primary_key=True)
    embedding_id: int
    model: str
    deleted: bool


class SearchDocument(SQLModel, table=True):
    """Text a search can match: one row for the clip as a whole (name, metadata, tags, analysis), one per transcript
    segment (a moment) and one per location (its path's words; ref = the location's id). Full-text indexed: FTS5 on
    SQLite, a GIN tsvector index on Postgres."""

    __tablename__ = "search_documents"

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    kind: str  # clip | segment | path
    ref: int = 0
    start_seconds: Optional[float] = None
    end_seconds: Optional[float] = None
    text: str = ""


class Person(SQLModel, table=True):
    """Someone seen in the catalog: a group of faces (store/people.py). The centroid (mean face vector) is what a new
    face is compared with; the name is the user's, kept through re-runs, merges and splits."""

    __tablename__ = "people"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: Optional[str] = Field(default=None, index=True)
    model: str  # the face model of its vectors
    centroid: Any = Field(default=None, sa_column=Column(VectorType(), nullable=True))
    face_count: int = 0
    clip_count: int = 0
    cover_face_id: Optional[int] = None  # the clearest face: its crop is the person's thumbnail
    # a group merged into another person: its mean face stays, so faces like it still join that person
    merged_into: Optional[int] = Field(default=None, foreign_key="people.id", index=True, ondelete="CASCADE")
    # Postgres: the role that made the group, filled in by the database (like projects.created_by)
    created_by: Optional[str] = Field(default=None, sa_column_kwargs={"server_default": FetchedValue()})
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class FaceRow(SQLModel, table=True):
    """One face on one frame of a clip: when, where, a vector describing it (own table: never mixed with the text
    embeddings a search compares), the person it was grouped into and its crop under `<catalog>/faces/`."""

    __tablename__ = "faces"

    id: Optional[int] = Field(default=None, primary_key=True)
    clip_id: int = Field(foreign_key="clips.id", index=True, ondelete="CASCADE")
    time_seconds: float
    frame_index: int
    box: Optional[list] = _json()  # x, y, width, height on the frame
    frame_width: int
    frame_height: int
    score: float
    model: str
    vector: Any = Field(sa_column=Column(VectorType(), nullable=False))
    person_id: Optional[int] = Field(default=None, foreign_key="people.id", index=True, ondelete="SET NULL")
    thumbnail_path: Optional[str] = None
