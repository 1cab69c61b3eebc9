"""Files built to hurt a decoder (issue 16), made from the test media: byte flips, truncations, zeroed and repeated
runs, absurd headers (65535×65535 frames), 10,000 streams, a decompression bomb. Deterministic for a seed, so a
file that breaks vcat can be made again. Used by tests/test_hostile_files.py (a dozen) and bench/fuzz.py (1,000+).
"""

from __future__ import annotations

import random
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from . import media


def seeds(folder: Path) -> list[Path]:
    """Small, valid clips of different containers and codecs to mutate."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        media.make_clip(folder / "h264.mp4", width=160, height=120, seconds=1.0, gop=10),
        media.make_clip(folder / "mjpeg.avi", codec="mjpeg", pix_fmt="yuvj420p", width=160, height=120,
                        seconds=0.5),
        media.make_clip(folder / "mpeg4.mkv", codec="mpeg4", width=160, height=120, seconds=0.5, audio="pcm_s16le"),
        media.make_clip(folder / "mpeg2.ts", codec="mpeg2video", width=160, height=120, seconds=0.5, format="mpegts"),
        media.make_clip(folder / "h264.mov", width=160, height=120, seconds=0.5, audio=True),
    ]


# ---- mutations of bytes -------------------------------------------------------------------------------------------

def flip(data: bytes, rng: random.Random) -> bytes:
    """A few bytes changed, half the time inside the first 4 KB (headers)."""
    out = bytearray(data)
    span = min(len(out), 4096) if rng.random() < 0.5 else len(out)
    for _ in range(rng.randint(1, 16)):
        i = rng.randrange(span)
        out[i] ^= 1 << rng.randrange(8) if rng.random() < 0.5 else rng.randrange(1, 256)
    return bytes(out)


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randint(1, max(1, len(data) - 1))]


def zero_run(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    end = min(len(data), start + rng.randint(1, 4096))
    return data[:start] + b"\x00" * (end - start) + data[end:]


def repeat_run(data: bytes, rng: random.Random) -> bytes:
    start = rng.randrange(len(data))
    chunk = data[start:start + rng.randint(1, 2048)]
    return data[:start] + chunk * rng.randint(2, 50) + data[start:]


def splice(data: bytes, rng: random.Random) -> bytes:
    """Two halves of the file swapped: every offset the index holds now points elsewhere."""
    cut = rng.randrange(1, max(2, len(data)))
    return data[cut:] + data[:cut]


def absurd_dimensions(data: bytes, rng: random.Random) -> bytes:
    """Every width/height field we can find set to 65535: JPEG SOF markers, MP4 `tkhd` and visual sample entries,
    Matroska PixelWidth/PixelHeight."""
    out = bytearray(data)
    for marker in (b"\xff\xc0", b"\xff\xc2"):  # SOF: length(2) precision(1) height(2) width(2)
        i = out.find(marker)
        while i >= 0 and i + 9 <= len(out):
            out[i + 5:i + 9] = b"\xff\xff\xff\xff"
            i = out.find(marker, i + 2)
    i = out.find(b"tkhd")
    if i >= 0:
        size = struct.unpack(">I", out[i - 4:i])[0]
        end = i - 4 + size
        out[end - 8:end] = struct.pack(">II", 65535 << 16, 65535 << 16)
    for entry in (b"avc1", b"mp4v", b"hvc1", b"jpeg"):
        i = out.find(entry)
        if i >= 0 and i + 32 <= len(out):
            out[i + 28:i + 32] = b"\xff\xff\xff\xff"  # after fourcc: reserved(6) index(2) predefined(16)
    for element in (b"\xb0\x82", b"\xba\x82"):  # PixelWidth / PixelHeight, 2-byte values
        i = out.find(element)
        if i >= 0:
            out[i + 2:i + 4] = b"\xff\xff"
    return bytes(out)


MUTATIONS = (flip, truncate, zero_run, repeat_run, splice, absurd_dimensions)


def mutate(seed_files: list[Path], folder: Path, count: int, seed: int = 16) -> list[Path]:
    """`count` mutated files in `folder` (names say seed file, mutation and number; mutations stack sometimes)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    sources = [(p, p.read_bytes()) for p in seed_files]
    made = []
    for n in range(count):
        src, data = sources[n % len(sources)]
        chosen = [MUTATIONS[(n // len(sources)) % len(MUTATIONS)]]
        if rng.random() < 0.3:
            chosen.append(rng.choice(MUTATIONS))
        for fn in chosen:
            data = fn(data, rng) or b"\x00"
        path = folder / f"{n:05d}-{'+'.join(f.__name__ for f in chosen)}-{src.stem}{src.suffix}"
        path.write_bytes(data)
        made.append(path)
    return made


# ---- files built whole --------------------------------------------------------------------------------------------

def many_streams(path: Path, streams: int = 10_000) -> Path:
    """A Matroska file declaring `streams` tracks (one video track with frames, the rest audio tracks without):
    the track entry of a small valid file cloned. PyAV cannot write that many streams itself (it crashes), so
    the EBML is edited: Tracks rewritten, SeekHead and Cues dropped (their offsets would be wrong), the Segment
    made of unknown size."""
    base = path.with_suffix(".base.mkv")
    media.make_clip(base, codec="mjpeg", pix_fmt="yuvj420p", width=64, height=48, seconds=0.2, audio="pcm_s16le",
                    format="matroska")
    data = base.read_bytes()
    base.unlink()
    seg_id, seg_at = _ebml_element_at(data, 0)[0], None
    i = 0
    out = bytearray()
    while i < len(data):  # top level: the EBML header, then the Segment
        eid, size, body = _ebml_element_at(data, i)
        if eid == 0x18538067:
            seg_at = body
            break
        out += data[i:body + size]
        i = body + size
    assert seg_at is not None, seg_id
    out += _id_bytes(0x18538067) + b"\x01\xff\xff\xff\xff\xff\xff\xff"  # Segment, unknown size
    i = seg_at
    while i < len(data):
        eid, size, body = _ebml_element_at(data, i)
        end = min(len(data), body + size)
        if eid in (0x114D9B74, 0x1C53BB6B):  # SeekHead, Cues
            pass
        elif eid == 0x1654AE6B:  # Tracks
            entries = []
            j = body
            while j < end:
                cid, csize, cbody = _ebml_element_at(data, j)
                entries.append(data[j:cbody + csize])
                j = cbody + csize
            template = entries[-1]
            clones = [_retrack(template, 100 + k) for k in range(max(0, streams - len(entries)))]
            payload = b"".join(entries + clones)
            out += _id_bytes(0x1654AE6B) + _size8(len(payload)) + payload
        else:
            out += data[i:end]
        i = end
    path.write_bytes(bytes(out))
    return path


def decompression_bomb(path: Path, frames: int = 20_000, side: int = 4096) -> Path:
    """A few hundred KB that decode to `frames` frames of side×side pixels (20,000 × 4096² ≈ 500 GB of pixels):
    one black key frame, then the same empty P frame over and over."""
    container = av.open(str(path), "w", format="mp4")
    stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast", "crf": "51",
                                                                 "g": str(frames * 2), "bf": "0"})
    stream.width = stream.height = side
    stream.pix_fmt = "yuv420p"
    black = av.VideoFrame.from_ndarray(np.zeros((side, side, 3), np.uint8), format="rgb24").reformat(
        format="yuv420p")
    packets = []
    for n in range(2):
        black.pts = n
        packets += list(stream.encode(black))
    packets += list(stream.encode())
    key, empty = bytes(packets[0]), bytes(packets[-1])
    tb = Fraction(1, 25)
    for n in range(frames):
        packet = av.Packet(key if n == 0 else empty)
        packet.stream, packet.time_base = stream, tb
        packet.pts = packet.dts = n
        packet.is_keyframe = n == 0
        container.mux(packet)
    container.close()
    return path


def built_whole(folder: Path, *, bomb_frames: int = 20_000) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    return [many_streams(folder / "streams-10000.mkv"), decompression_bomb(folder / "bomb.mp4", bomb_frames)]


# ---- EBML (Matroska) ------------------------------------------------------------------------------------------------

def _vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int]:
    first = data[i]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    value = first if keep_marker else first & ((0x80 >> (length - 1)) - 1)
    for b in data[i + 1:i + length]:
        value = (value << 8) | b
    return value, length


def _ebml_element_at(data: bytes, i: int) -> tuple[int, int, int]:
    """(id, size, offset of the body) of the element at i; an unknown size reads as 'to the end'."""
    eid, n = _vint(data, i, True)
    size, m = _vint(data, i + n, False)
    if size == (1 << (7 * m)) - 1:
        size = len(data)
    return eid, size, i + n + m


def _id_bytes(eid: int) -> bytes:
    return eid.to_bytes((eid.bit_length() + 7) // 8, "big")


def _size8(n: int) -> bytes:
    return (0x01 << 56 | n).to_bytes(8, "big")


def _retrack(entry: bytes, number: int) -> bytes:
    """A TrackEntry with TrackNumber and TrackUID set to `number`."""
    eid, size, body = _ebml_element_at(entry, 0)
    out, j = bytearray(), body
    while j < body + size:
        cid, csize, cbody = _ebml_element_at(entry, j)
        if cid in (0xD7, 0x73C5):  # TrackNumber, TrackUID
            value = number.to_bytes(4, "big")
            out += _id_bytes(cid) + bytes([0x80 | len(value)]) + value
        else:
            out += entry[j:cbody + csize]
        j = cbody + csize
    return _id_bytes(eid) + _size8(len(out)) + bytes(out)
