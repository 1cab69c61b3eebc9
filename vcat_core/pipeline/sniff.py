"""Recognise video containers by their first bytes, so footage with a wrong or missing extension is still found.

Hand-written because the signatures we need are few and fixed, and a general file-type library (libmagic) would be
one more system dependency that still does not know MXF or M2TS packet layouts.
"""

from __future__ import annotations

VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .qt .mkv .webm .avi .mts .m2ts .m2t .ts .mxf .mpg .mpeg .m2v .vob .flv .wmv .asf .3gp .3g2 "
    ".dv .ogv .mod .tod .mj2 .lrv .insv .f4v .divx .h264 .h265 .hevc .y4m .nut .rm .rmvb .crm .r3d .braw".split()
)
# Extensions of things that share a container with video but are not footage: passed over even when sniffed.
NON_VIDEO_EXTENSIONS = frozenset(
    ".m4a .m4b .m4p .mp3 .aac .wav .flac .ogg .oga .opus .weba .mka .heic .heif .avif .jpg .jpeg .png .gif .tif "
    ".tiff .bmp .webp .pdf .txt .json .xml .srt .vtt .zip".split()
)
_MP4_BOXES = {b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"uuid"}
_MXF_KEY = bytes.fromhex("060e2b34020501010d010201")
APPLEDOUBLE_MAGIC = bytes.fromhex("00051607")
HEADER_BYTES = 1024


def sniff_container(head: bytes) -> str | None:
    """Name of the container family these leading bytes belong to, or None when nothing matched."""
    if len(head) >= 8 and head[4:8] in _MP4_BOXES:
        return "mp4/mov"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "matroska/webm"
    if head.startswith(b"RIFF") and head[8:12] in (b"AVI ", b"AVIX"):
        return "avi"
    if head.startswith(_MXF_KEY) or _MXF_KEY in head[:1024]:  # MXF may carry a run-in before the header key
        return "mxf"
    if _is_mpegts(head, 188, 0) or _is_mpegts(head, 192, 4):
        return "mpegts"
    if head.startswith(b"\x00\x00\x01\xba"):
        return "mpeg-ps"
    if head.startswith(b"FLV\x01"):
        return "flv"
    if head.startswith(bytes.fromhex("3026b2758e66cf11")):
        return "asf"
    if head.startswith(b"OggS"):
        return "ogg"
    if head.startswith(b"YUV4MPEG2"):
        return "y4m"
    return None


def _is_mpegts(head: bytes, packet: int, offset: int) -> bool:
    marks = [offset + i * packet for i in range(4)]
    if marks[-1] >= len(head):
        marks = [m for m in marks if m < len(head)]
        if len(marks) < 2:
            return False
    return all(head[m] == 0x47 for m in marks)


def is_appledouble(head: bytes) -> bool:
    """macOS `._name` resource-fork files carry a video extension but hold no video."""
    return head.startswith(APPLEDOUBLE_MAGIC)
