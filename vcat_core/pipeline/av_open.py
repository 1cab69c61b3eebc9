"""Opening a video with PyAV the way every decoding stage needs it: read-only, per-file errors a person can read,
the right video stream, and packets that stop quietly at a damaged tail. Shared by thumbnails and cut detection."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from typing import Any

import av
import av.error

from ..errors import CorruptMediaError, FileVanishedError, NotAVideoError, UnreadableFileError

log = logging.getLogger(__name__)

_IMAGE_FORMAT_SUFFIX = "_pipe"
_IMAGE_FORMATS = {"image2"}


def file_name(path: str) -> str:
    return os.path.basename(str(path)) or str(path)


def _reason(err: BaseException) -> str:
    text = getattr(err, "strerror", None) or str(err)
    return text.rstrip(".") or type(err).__name__


def open_args(path: str) -> dict[str, Any]:
    """Extra `av.open` arguments: a spanned recording is read through an ffconcat list of its parts (absolute
    paths, written by pipeline/cards/span.py), which FFmpeg's concat demuxer accepts only with safe=0."""
    if str(path).endswith(CONCAT_SUFFIX):
        return {"format": "concat", "options": {"safe": "0"}}
    return {}


CONCAT_SUFFIX = ".ffconcat"


def open_video(path: str, purpose: str) -> Any:
    """`av.open` read-only; `purpose` ("making thumbnails", "detecting cuts") says in errors what was tried."""
    name = file_name(path)
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore", **open_args(path))
    except FileNotFoundError as err:
        raise FileVanishedError(f"{name} is gone: it could not be found when {purpose}.") from err
    except PermissionError as err:
        raise UnreadableFileError(f"{name} could not be read: permission denied.") from err
    except IsADirectoryError as err:
        raise NotAVideoError(f"{name} is a directory, not a video.") from err
    except av.error.FFmpegError as err:
        raise CorruptMediaError(
            f"{name} could not be opened as a video: {_reason(err)} (damaged, truncated or not a media file)."
        ) from err
    except OSError as err:
        raise UnreadableFileError(f"{name} could not be read: {err.strerror or err}.") from err


def video_stream(container: Any, path: str) -> Any:
    """The clip's picture: the default video stream (cover art and still images are not video)."""
    name = file_name(path)
    fmt = (container.format.name or "").split(",")[0]
    if fmt in _IMAGE_FORMATS or fmt.endswith(_IMAGE_FORMAT_SUFFIX):
        raise NotAVideoError(f"{name} is a still image ({fmt}), not a video.")
    attached = av.stream.Disposition.attached_pic
    videos = [s for s in container.streams.video if not (s.disposition & attached)]
    if not videos:
        kinds = sorted({s.type for s in container.streams}) or ["none"]
        raise NotAVideoError(f"{name} holds no video stream (streams: {', '.join(kinds)}).")
    default = av.stream.Disposition.default
    for s in videos:
        if s.disposition & default:
            return s
    return videos[0]


def video_packets(container: Any, stream: Any) -> Iterator[Any]:
    """Video packets in file order; stops quietly at a demuxer error (truncated or damaged tail)."""
    it = container.demux(stream)
    while True:
        try:
            pkt = next(it)
        except StopIteration:
            return
        except (av.error.FFmpegError, OSError) as err:
            log.debug("demux stopped: %s", err)
            return
        if pkt.size:
            yield pkt
