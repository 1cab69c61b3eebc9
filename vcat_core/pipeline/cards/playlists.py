"""AVCHD playlists (`BDMV/PLAYLIST/*.MPL`) and P2 clip relations: how a card says which files are one recording.

AVCHD cameras cut a long recording into several `STREAM/*.MTS` files (FAT32's 4 GB limit); the playlist lists
each file as a PlayItem, and a PlayItem whose `connection_condition` is 6 (seamless, no clean break) continues
the recording of the one before it. Layout (Blu-ray / AVCHD MPLS, big-endian): "MPLS" + version, the PlayList's
offset at byte 8; PlayList = length(4) reserved(2) item count(2) sub-path count(2), then per item: length(2),
clip name (5 ASCII digits), codec id "M2TS" (4), 11 reserved bits + multi-angle bit + connection_condition
(4 bits), STC id (1), IN time (4), OUT time (4) in 45 kHz ticks.

P2 writes the same fact into each clip's XML: `Relation/Connection/{Top,Previous,Next}/GlobalClipID`.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

SEAMLESS = 6  # connection_condition: this item continues the previous one's stream
PLAYLIST_BYTES = 1 << 20


@dataclass(frozen=True)
class PlayItem:
    clip: str  # "00001": STREAM/00001.MTS, CLIPINF/00001.CPI
    connection: int
    in_time: int  # 45 kHz ticks
    out_time: int

    @property
    def seconds(self) -> float:
        return (self.out_time - self.in_time) / 45000


def parse_mpl(data: bytes) -> list[PlayItem]:
    """The PlayItems of one AVCHD / Blu-ray playlist; [] when the bytes are not one."""
    if len(data) < 20 or data[:4] != b"MPLS":
        return []
    try:
        (start,) = struct.unpack_from(">I", data, 8)
        (count,) = struct.unpack_from(">H", data, start + 6)
        pos = start + 10
        items = []
        for _ in range(count):
            (length,) = struct.unpack_from(">H", data, pos)
            clip = data[pos + 2:pos + 7].decode("ascii")
            (flags,) = struct.unpack_from(">H", data, pos + 11)
            in_time, out_time = struct.unpack_from(">II", data, pos + 14)
            items.append(PlayItem(clip, flags & 0x0F, in_time, out_time))
            pos += 2 + length
        return items
    except (struct.error, UnicodeDecodeError):
        return []


def recordings(items: list[PlayItem]) -> list[list[PlayItem]]:
    """PlayItems grouped into recordings: a seamless item joins the one before."""
    out: list[list[PlayItem]] = []
    for item in items:
        if out and item.connection == SEAMLESS:
            out[-1].append(item)
        else:
            out.append([item])
    return out


def avchd_recordings(stream_dir: str) -> list[list[PlayItem]]:
    """Every recording the card's playlists describe (read only for an AVCHD STREAM folder)."""
    folder = os.path.join(os.path.dirname(stream_dir), "PLAYLIST")
    try:
        names = sorted(n for n in os.listdir(folder) if n.upper().endswith((".MPL", ".MPLS")))
    except OSError:
        return []
    out: list[list[PlayItem]] = []
    for name in names:
        try:
            with open(os.path.join(folder, name), "rb") as fh:
                out += recordings(parse_mpl(fh.read(PLAYLIST_BYTES)))
        except OSError:
            continue
    return out


def p2_recordings(video_dir: str, names: list[str]) -> list[list[str]]:
    """P2 clips joined by their XML's Connection (read only for a P2 VIDEO folder): lists of MXF names in order."""
    from .sidecars import parse_sidecar

    clip_dir = os.path.join(os.path.dirname(video_dir), "CLIP")
    by_id: dict[str, str] = {}
    links: dict[str, dict[str, str]] = {}
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext.upper() != ".MXF":
            continue
        try:
            with open(os.path.join(clip_dir, f"{stem}.XML"), "rb") as fh:
                facts = parse_sidecar(fh.name, fh.read(1 << 20))
        except OSError:
            continue
        if facts is None or "self" not in facts.connection:
            continue
        by_id[facts.connection["self"]] = name
        links[name] = facts.connection
    groups: list[list[str]] = []
    for name, link in links.items():
        if "previous" in link or ("next" not in link):
            continue  # not the first of a spanned clip
        chain, seen = [name], {name}
        while (nxt := by_id.get(links[chain[-1]].get("next", ""))) and nxt not in seen:
            chain.append(nxt)
            seen.add(nxt)
        groups.append(chain)
    return groups
