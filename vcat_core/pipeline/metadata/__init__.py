"""Technical metadata of one clip: PyAV + MediaInfo + ExifTool, reconciled into a `TechnicalMetadata`.

`extract_metadata(path)` only ever reads the file (PyAV and MediaInfo open it read-only, ExifTool gets no write
option). It raises, with a sentence a person can read:

* `UnreadableFileError` — permission denied or another OS error opening/reading the file;
* `FileVanishedError` — the file is gone;
* `NotAVideoError` — empty file ("not a video: empty file (0 bytes)"), no video stream (audio, still image, text,
  random bytes: "not a video: no video stream found (looks like a PNG image)");
* `CorruptMediaError` — a video container is recognised (by MediaInfo or ExifTool; FFmpeg picks its demuxer by
  extension too, so its choice proves nothing) but no tool can read a video stream out of it, e.g. an MP4 cut before
  its moov atom.

A damaged file that still yields a video stream is *not* an error: it comes back with warnings ("truncated", …).
"""

from __future__ import annotations

import os
import re
from typing import Any

from vcat_core.errors import CorruptMediaError, FileVanishedError, NotAVideoError, UnreadableFileError
from vcat_core.models import TechnicalMetadata

from . import exiftool, mediainfo_probe, pyav_probe
from .reconcile import reconcile

__all__ = ["describe_file_kind", "extract_metadata", "reconcile"]

# MediaInfo General formats / ExifTool file types that are video containers.
VIDEO_CONTAINERS_MI = {"mpeg-4", "quicktime", "matroska", "webm", "mxf", "mpeg-ts", "bdav", "mpeg-ps", "avi",
                       "flash video", "windows media", "dv", "realmedia", "gxf", "lxf", "ogg", "3gpp", "r3d", "braw"}
VIDEO_FILETYPES_EXIF = {"MP4", "MOV", "M4V", "3GP", "3G2", "MKV", "WEBM", "MXF", "M2TS", "M2T", "MTS", "TS", "MPEG",
                        "AVI", "FLV", "WMV", "ASF", "DV", "R3D", "CRM", "BRAW", "INSV", "LRV", "HEIF"}
KIND_WORDS = {
    "PNG": "a PNG image", "JPEG": "a JPEG image", "GIF": "a GIF image", "TIFF": "a TIFF image", "BMP": "a BMP image",
    "WEBP": "a WebP image", "HEIC": "a HEIC image", "HEIF": "a HEIF image", "DNG": "a DNG raw image",
    "WAV": "a WAV audio file", "MP3": "an MP3 audio file", "FLAC": "a FLAC audio file", "M4A": "an M4A audio file",
    "AIFF": "an AIFF audio file", "OGG": "an Ogg audio file", "TXT": "a text file", "PDF": "a PDF document",
    "ZIP": "a ZIP archive", "HTML": "an HTML page", "XML": "an XML file", "JSON": "a JSON file",
    "EXE": "an executable", "SVG": "an SVG image", "PSD": "a Photoshop image",
}


def describe_file_kind(pyav: dict[str, Any], mediainfo: dict[str, Any], exif: dict[str, Any],
                       head: bytes = b"") -> str | None:
    """Best human guess at what a non-video file is ("a PNG image", "a WAV audio file", "a text file")."""
    ftype = str(exif.get("File:FileType") or "").upper()
    if ftype in KIND_WORDS:
        return KIND_WORDS[ftype]
    mg = (mediainfo.get("general") or {}) if mediainfo else {}
    mi_fmt = str(mg.get("format") or "")
    if mediainfo.get("image"):
        return f"{_a(mediainfo['image'][0].get('format') or mi_fmt or 'still')} image"
    if mediainfo.get("audio") and not mediainfo.get("video"):
        return f"{_a(mi_fmt)} audio file" if mi_fmt else "an audio file"
    if ftype:
        return f"{_a(ftype)} file"
    if head and _looks_like_text(head):
        return "a text file"
    return None


def _a(word: str) -> str:
    """Indefinite article for a word or an acronym read letter by letter ("an MP4", "a PNG", "an Ogg")."""
    vowel_sound = word[:1] in "AEIOU" if not word.isupper() else word[:1] in "AEFHILMNORSX"
    return f"{'an' if vowel_sound or word[:1] in 'aeiou' else 'a'} {word}"


def _looks_like_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        # a multi-byte character may be cut at the end of the sample
        try:
            head[:-4].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return True


def _check_readable(path: str) -> tuple[int, bytes]:
    """stat + open for reading (read-only) so OS errors surface as our errors before any tool runs."""
    try:
        st = os.stat(path)
    except FileNotFoundError as exc:
        raise FileVanishedError(f"file vanished: {path} no longer exists") from exc
    except PermissionError as exc:
        raise UnreadableFileError(f"unreadable: permission denied for {path}") from exc
    except OSError as exc:
        raise UnreadableFileError(f"unreadable: {exc.strerror or exc} ({path})") from exc
    if os.path.isdir(path):
        raise UnreadableFileError(f"unreadable: {path} is a directory")
    try:
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except FileNotFoundError as exc:
        raise FileVanishedError(f"file vanished: {path} no longer exists") from exc
    except PermissionError as exc:
        raise UnreadableFileError(f"unreadable: permission denied for {path}") from exc
    except OSError as exc:
        raise UnreadableFileError(f"unreadable: {exc.strerror or exc} ({path})") from exc
    return st.st_size, head


def extract_metadata(path: str) -> TechnicalMetadata:
    path = os.fspath(path)
    size, head = _check_readable(path)
    if size == 0:
        raise NotAVideoError("not a video: empty file (0 bytes)")

    pyav = pyav_probe.probe(path)
    if not pyav.get("ok"):
        if pyav.get("is_missing") or not os.path.exists(path):
            raise FileVanishedError(f"file vanished: {path} no longer exists")
        if pyav.get("is_permission_error"):
            raise UnreadableFileError(f"unreadable: permission denied for {path}")
        if pyav.get("is_os_error"):
            raise UnreadableFileError(f"unreadable: I/O error reading {path} ({_short_error(pyav.get('error'))})")
    mediainfo = mediainfo_probe.probe(path)
    exif = exiftool.read_tags(path)

    has_pyav_video = bool(pyav.get("ok") and pyav.get("main_video") is not None)
    mi_video = [v for v in (mediainfo.get("video") or []) if v.get("width") and v.get("height")]

    if has_pyav_video and pyav.get("is_image"):
        kind = describe_file_kind(pyav, mediainfo, exif, head) or f"a {pyav['video'][0].get('codec')} image"
        raise NotAVideoError(f"not a video: no video stream found (looks like {kind})")

    if has_pyav_video:
        main = pyav["video"][pyav["main_video"]]
        if not (main.get("width") and main.get("height")) and not mi_video and pyav.get("first_frame") is None:
            raise CorruptMediaError(
                f"corrupt media: {_container_words(pyav, mediainfo, exif)} has a video stream that cannot be read"
                + (f" ({pyav['decode_error']})" if pyav.get("decode_error") else "")
            )
        return reconcile(pyav, mediainfo, exif)

    if mi_video and not pyav.get("ok"):
        # FFmpeg could not open it but MediaInfo reads a video track: report what we know, flagged "pyav_failed".
        return reconcile(pyav, mediainfo, exif)

    if pyav.get("ok"):
        audio = pyav.get("audio") or []
        kind = describe_file_kind(pyav, mediainfo, exif, head)
        if audio:
            codecs = ", ".join(sorted({a.get("codec") or "?" for a in audio}))
            detail = f"audio only: {codecs}" + (f"; looks like {kind}" if kind else "")
        else:
            detail = f"looks like {kind}" if kind else f"{pyav['format']['name']} data without streams"
        raise NotAVideoError(f"not a video: no video stream found ({detail})")

    recognised = _recognised_video_container(mediainfo, exif)
    reason = _short_error(pyav.get("error"))
    if recognised:
        raise CorruptMediaError(f"corrupt media: {recognised} container recognised but unreadable ({reason})")
    kind = describe_file_kind(pyav, mediainfo, exif, head)
    if kind:
        raise NotAVideoError(f"not a video: no video stream found (looks like {kind})")
    raise NotAVideoError("not a video: unrecognised data (no tool could identify the format)")


def _short_error(error: str | None) -> str:
    """FFmpeg's "[Errno N] Invalid data found when processing input: '/x.mp4'" → "invalid data found …"."""
    text = (error or "unknown error").strip()
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    text = re.sub(r":\s*'[^']*'$", "", text)  # FFmpeg repeats the path at the end
    return text[:1].lower() + text[1:] if text else "unknown error"


def _recognised_video_container(mediainfo: dict[str, Any], exif: dict[str, Any]) -> str | None:
    mg = mediainfo.get("general") or {}
    fmt = str(mg.get("format") or "")
    if fmt.lower() in VIDEO_CONTAINERS_MI:
        return fmt
    ftype = str(exif.get("File:FileType") or "").upper()
    if ftype in VIDEO_FILETYPES_EXIF:
        return ftype
    return None


def _container_words(pyav: dict[str, Any], mediainfo: dict[str, Any], exif: dict[str, Any]) -> str:
    recognised = _recognised_video_container(mediainfo, exif)
    if recognised:
        return f"the {recognised} file"
    name = (pyav.get("format") or {}).get("name")
    return f"the {name} file" if name else "the file"

