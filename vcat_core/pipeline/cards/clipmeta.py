"""The metadata stage for card clips: parts combined, sidecars and XMP merged with their provenance, and camera
raw FFmpeg cannot decode here (BRAW, R3D) catalogued from what can be read.

Every file is only read: sidecars with `open(…, "rb")`, XMP through the worker's ExifTool (no write option).
"""

from __future__ import annotations

import os
from typing import Any

from ...errors import CorruptMediaError, MediaError, NotAVideoError
from ...models import Candidate, ClipPart, FingerprintResult, TechnicalMetadata
from ..metadata import extract_metadata
from ..metadata.facets import derive_facets
from ..metadata.reconcile import parse_date
from .sidecars import SidecarFacts, parse_sidecar
from .proxies import link_proxies
from .span import combine_parts

RAW_NAMES = {"braw": "Blackmagic RAW", "r3d": "RED R3D"}
SIDECAR_BYTES = 4 * 2**20  # a camera XML is a few KB; anything bigger is not one
# sidecar fields that describe the camera: the camera's own file wins over the container's generic tags
CAMERA_FIELDS = ("camera_make", "camera_model", "camera_serial", "lens_model", "gamma", "log_profile", "iso",
                 "exposure_index")


def clip_metadata(cand: Candidate, fingerprint: FingerprintResult | None = None) -> TechnicalMetadata:
    """One clip's record: each part read, combined, then sidecars and XMP merged, facets derived."""
    if cand.parts:  # each part with its own sidecars (its own start timecode), then the recording
        md = combine_parts([_with_sidecars(_read(p), p.sidecars) for p in cand.parts], cand, fingerprint)
    else:
        md = _with_sidecars(_read(cand), cand.sidecars)
    if md.card_layout is None and cand.card:
        md.card_layout = cand.card
        md.sources["card_layout"] = "derived"
    apply_xmp(md, (md.raw or {}).get("exiftool") or {}, None)  # XMP embedded in the file itself
    link_proxies(md, cand.proxies or [])
    return derive_facets(md)


def _with_sidecars(md: TechnicalMetadata, paths: list[str] | None) -> TechnicalMetadata:
    for path in paths or []:
        if path.lower().endswith(".xmp"):
            apply_xmp(md, _exif_of(path), path)
        else:
            facts = read_sidecar(path)
            if facts is not None:
                apply_sidecar(md, facts)
    return derive_facets(md) if paths else md  # the part's typed timecode follows its sidecar


def _read(cand: Candidate) -> TechnicalMetadata:
    kind = os.path.splitext(cand.path)[1].lower().lstrip(".")
    try:
        return extract_metadata(cand.path)
    except (CorruptMediaError, NotAVideoError) as exc:
        if kind not in RAW_NAMES:
            raise
        return _undecodable(cand, kind, exc)


def _undecodable(cand: Candidate, kind: str, exc: MediaError) -> TechnicalMetadata:
    """Camera raw this FFmpeg has no decoder for: what ExifTool / MediaInfo read, and a clear status."""
    from ..metadata import exiftool, mediainfo_probe

    exif = exiftool.read_tags(cand.path)
    mi = mediainfo_probe.probe(cand.path)
    md = TechnicalMetadata(container=kind, codec=kind, card_layout=kind, decodable=False, warnings=["not_decodable"],
                           raw={"exiftool": exif, "mediainfo": mi,
                                "not_decodable": f"{RAW_NAMES[kind]} cannot be decoded by this FFmpeg ({exc})"})
    md.sources.update(container="derived", codec="derived", card_layout="derived", decodable="derived")

    def pick(*tags: str) -> Any:
        return next((exif[t] for t in tags if exif.get(t) not in (None, "")), None)

    for field, tags in (("camera_make", ("Make", "RED:Make", "QuickTime:Make")),
                        ("camera_model", ("Model", "RED:Model", "QuickTime:Model", "CameraModelName")),
                        ("camera_serial", ("SerialNumber", "RED:SerialNumber", "CameraSerialNumber")),
                        ("lens_model", ("LensModel", "RED:LensModel", "LensType"))):
        value = pick(*tags) or next((v for k, v in exif.items() if k.split(":")[-1] in tags and v), None)
        if value:
            setattr(md, field, str(value))
            md.sources[field] = "exiftool"
    general = mi.get("general") or {}
    if general.get("duration"):
        md.duration_seconds = general["duration"]
        md.sources["duration_seconds"] = "mediainfo"
    return md


def read_sidecar(path: str) -> SidecarFacts | None:
    """A sidecar's facts, or None when it is absent, too big or not one we know (never an error: the clip stands
    without it)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(SIDECAR_BYTES + 1)
    except OSError:
        return None
    if len(data) > SIDECAR_BYTES:
        return None
    return parse_sidecar(path, data)


def apply_sidecar(md: TechnicalMetadata, facts: SidecarFacts) -> None:
    """Merge one sidecar (provenance `sidecar`): camera identity and look from the camera's own file; dates when
    the sidecar carries a zone the file lacks; its start timecode."""
    v = facts.values
    for field in CAMERA_FIELDS:
        if v.get(field) not in (None, ""):
            setattr(md, field, v[field])
            md.sources[field] = "sidecar"
    created = v.get("created_at")
    if created is not None and (md.created_at is None or md.created_at.tzinfo is None or created.tzinfo):
        md.created_at, md.created_at_source = created, f"sidecar:{facts.kind}"
        md.sources["created_at"] = "sidecar"
    if v.get("timecode"):  # the card's own record of the clip (MXF writers default to 00:00:00:00)
        md.timecode = v["timecode"]
        md.sources["timecode"] = "sidecar"
        md.timecode_drop_frame = bool(v["drop_frame"]) if "drop_frame" in v else None
    if v.get("rate") and md.frame_rate is None:
        md.frame_rate = float(v["rate"])
        md.sources["frame_rate"] = "sidecar"
    md.raw.setdefault("sidecars", []).append({"path": facts.path, "kind": facts.kind,
                                              "values": {k: str(x) for k, x in v.items()},
                                              "connection": facts.connection})


def _exif_of(path: str) -> dict[str, Any]:
    if not os.path.exists(path):
        return {}
    from ..metadata import exiftool

    try:
        return exiftool.read_tags(path)
    except Exception:  # noqa: BLE001 - an unreadable sidecar leaves the clip as it was
        return {}


def _xmp(exif: dict[str, Any], *names: str) -> Any:
    for name in names:
        for key, value in exif.items():
            group, _, tag = key.partition(":")
            if group.startswith("XMP") and tag == name and value not in (None, ""):
                return value
    return None


def apply_xmp(md: TechnicalMetadata, exif: dict[str, Any], path: str | None) -> None:
    """XMP (Lightroom, Bridge, Resolve, Premiere): rating, label, keywords, description, start timecode, camera.
    Provenance `xmp`; rating and label are kept under raw["xmp"] for the ratings tables to take over."""
    if not any(k.startswith("XMP") for k in exif):
        return
    keywords = _xmp(exif, "Subject", "HierarchicalSubject", "Keywords")
    if keywords:
        items = keywords if isinstance(keywords, list) else str(keywords).split(",")
        md.keywords = list(dict.fromkeys([*md.keywords, *(str(k).split("|")[-1].strip() for k in items)]))
        md.sources["keywords"] = "xmp"
    description = _xmp(exif, "Description", "LogComment", "Caption")
    if description:
        md.description = str(description)
        md.sources["description"] = "xmp"
    rating, label = _xmp(exif, "Rating"), _xmp(exif, "Label")
    if rating not in (None, "") or label:
        md.rating = int(float(rating)) if rating not in (None, "") else md.rating
        md.label = str(label) if label else md.label
        md.raw["xmp"] = {"rating": md.rating, "label": md.label, "path": path}
        for field, value in (("rating", rating), ("label", label)):
            if value not in (None, ""):
                md.sources[field] = "xmp"
    tc = _xmp(exif, "StartTimecodeTimeValue", "AltTimecodeTimeValue")
    if tc and md.timecode is None:
        fmt = str(_xmp(exif, "StartTimecodeTimeFormat") or "")
        md.timecode = str(tc)
        md.timecode_drop_frame = ("drop" in fmt.lower() and "non" not in fmt.lower()) if fmt else None
        md.sources["timecode"] = "xmp"
    if path is not None:  # a sidecar XMP: its camera facts too
        for field, names in (("camera_make", ("Make",)), ("camera_model", ("Model",)),
                             ("lens_model", ("LensModel", "Lens")), ("camera_serial", ("SerialNumber",))):
            value = _xmp(exif, *names)
            if value and getattr(md, field) is None:
                setattr(md, field, str(value))
                md.sources[field] = "xmp"
        created = parse_date(_xmp(exif, "DateTimeOriginal", "CreateDate"))
        if created is not None and md.created_at is None:
            md.created_at, md.created_at_source = created, "xmp"
            md.sources["created_at"] = "xmp"
