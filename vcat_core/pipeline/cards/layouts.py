"""Which camera card a folder belongs to, decided from its path and the names the walk already listed (no I/O).

An ordinary folder costs one look at its path and a pass over its names (no syscall): only a recognised card
layout (or a folder holding `.xmp` sidecars) gets a plan, and only then are sidecars read, later, in the pool.

A plan turns the folder's candidates into clips as the card means them: the chapters of one GoPro recording, the
`_001.R3D`, `_002.R3D` … of one RED clip or the `AA000101.MXF`, `AA000102.MXF` of one Canon XF clip become one
candidate with ordered parts; each clip gets the sidecar files the layout names (Sony `…M01.XML`, Canon `.XML`,
P2 `CONTENTS/CLIP/<name>.XML`, `<name>.xmp`); proxies (GoPro `.LRV`, Sony `Sub/…S03.MP4`) are left out of the
walk's clips (they are listed with their original by the proxies rule, not catalogued as footage of their own).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field

from ...models import Candidate
from .playlists import avchd_recordings, p2_recordings
from .splits import SplitRule, find_splits

# GoPro: HERO5 and before GOPR1234.MP4, then GP011234.MP4 …; HERO6+ GH011234.MP4, GH021234.MP4 (GX: HEVC)
_GOPRO_FIRST = re.compile(r"^GOPR(\d{4})\.MP4$", re.I)
_GOPRO_OLD = re.compile(r"^GP(\d{2})(\d{4})\.MP4$", re.I)
_GOPRO_NEW = re.compile(r"^(G[HX])(\d{2})(\d{4})\.MP4$", re.I)
_R3D = re.compile(r"^(.+)_(\d{3})\.R3D$", re.I)
_CANON_XF = re.compile(r"^([A-Z]{2}\d{4})(\d{2})\.MXF$", re.I)  # XF305 & co: clip AA0001, parts 01, 02 …
_SONY_PROXY = re.compile(r"^(.+)S03\.MP4$", re.I)
NOT_DECODABLE = {".braw": "braw", ".r3d": "r3d"}


@dataclass
class FolderPlan:
    """What a card folder's candidates become: `layout` names the card; `spans` maps a part's file name to
    (span key, order); `sidecar_for` maps a clip file name to its sidecar paths; `skip` holds proxy names."""

    directory: str
    layout: str | None
    spans: dict[str, tuple[str, int]] = field(default_factory=dict)
    expected: dict[str, list[str]] = field(default_factory=dict)  # span key -> names its rules say it must have
    sidecar_for: dict[str, list[str]] = field(default_factory=dict)
    proxy_for: dict[str, list[str]] = field(default_factory=dict)  # clip file name -> its proxies' paths
    skip: set[str] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    split_rule: SplitRule | None = None  # DJI / Sony: 4 GB splits the names do not announce

    def apply(self, cands: list[Candidate]) -> list[Candidate]:
        """The folder's candidates as clips: spans joined, sidecars and the layout attached (order kept)."""
        out: list[Candidate] = []
        groups: dict[str, list[tuple[int, Candidate]]] = {}
        first_at: dict[str, int] = {}
        for cand in cands:
            name = os.path.basename(cand.path)
            if name in self.skip:
                continue
            extra = {"card": self.layout or _decodable_kind(name)}
            sidecars = self.sidecar_for.get(name)
            if sidecars:
                extra["sidecars"] = sidecars
            if self.proxy_for.get(name):
                extra["proxies"] = self.proxy_for[name]
            cand = cand.model_copy(update=extra)
            key = self.spans.get(name)
            if key is None:
                out.append(cand)
                continue
            if key[0] not in groups:
                groups[key[0]] = []
                first_at[key[0]] = len(out)
                out.append(cand)  # placeholder, replaced below
            groups[key[0]].append((key[1], cand))
        for key, members in groups.items():
            members.sort(key=lambda m: m[0])
            parts = [c for _, c in members]
            have = {os.path.basename(c.path) for c in parts}
            missing = [n for n in self.expected.get(key, []) if n not in have]
            out[first_at[key]] = join_parts(parts, missing)
        if self.split_rule is not None:
            out = self._join_splits(out)
        return out

    def _join_splits(self, cands: list[Candidate]) -> list[Candidate]:
        chains, missing = find_splits(cands, self.names, self.split_rule, self.sidecar_for)
        if not chains:
            return cands
        head = {c[0].path: join_parts(c, missing.get(os.path.basename(c[0].path))) for c in chains}
        inside = {p.path for c in chains for p in c[1:]}
        return [head.get(c.path, c) for c in cands if c.path not in inside]


def join_parts(parts: list[Candidate], missing: list[str] | None = None) -> Candidate:
    """One candidate standing for a spanned recording: the first part's path, the parts' total size."""
    head = parts[0]
    if len(parts) == 1 and not missing:
        return head
    proxies = [x for p in parts for x in (p.proxies or [])]
    return head.model_copy(update={  # each part keeps its own sidecars (a P2 or Sony XML per file)
        "size": sum(p.size for p in parts), "mtime_ns": max(p.mtime_ns for p in parts),
        "parts": [p.model_copy(update={"proxies": None}) for p in parts],
        "sidecars": None, "proxies": proxies or None, "missing_parts": missing or None})


def _decodable_kind(name: str) -> str | None:
    return NOT_DECODABLE.get(os.path.splitext(name)[1].lower())


def _components(directory: str) -> list[str]:
    return [c.upper() for c in os.path.normpath(directory).split(os.sep) if c]


def layout_of(directory: str) -> str | None:
    """The card layout a folder's path alone says it belongs to (no listing, no syscall), or None."""
    parts = _components(directory)
    last = parts[-1] if parts else ""
    up = parts[-2] if len(parts) > 1 else ""
    if last == "STREAM" and up == "BDMV" and "AVCHD" in parts:
        return "avchd"
    if last == "CLIP" and up in ("M4ROOT", "XDROOT"):
        return "xavc" if up == "M4ROOT" else "xdcam"
    if last == "VIDEO" and up == "CONTENTS":
        return "p2"
    if re.fullmatch(r"CLIPS\d{3}", last) or (re.fullmatch(r"CLIPS\d{3}", up) and "CONTENTS" in parts):
        return "canon_xf"
    if re.fullmatch(r"\d{3}GOPRO", last):
        return "gopro"
    if re.fullmatch(r"\d{3}MEDIA|DJI_\d{3}", last):
        return "dji"
    if last.endswith(".RDC"):
        return "r3d"
    return None


def plan_folder(directory: str, names: list[str], parent_names: tuple[str, ...] | list[str] = (),
                split_rule: SplitRule | None = None) -> FolderPlan | None:
    """A plan for a card folder (or one with sidecars, proxies, undecodable camera raw); None for an ordinary folder.
    `parent_names`: what the walk listed one level up (a Proxy/ folder's originals live there); `split_rule`: where
    DJI and Sony cameras cut a recording (default: the FAT32 limit)."""
    parts = _components(directory)
    last = parts[-1] if parts else ""
    up = parts[-2] if len(parts) > 1 else ""
    layout = layout_of(directory) or ("dji" if any(n.upper().startswith("DJI_") for n in names[:1]) else None)
    has_xmp = any(n[-4:].lower() == ".xmp" for n in names)
    raw = any(os.path.splitext(n)[1].lower() in NOT_DECODABLE for n in names)
    proxy_dirs = [n for n in names if n.upper() in PROXY_DIRS]
    proxy_folder = last in PROXY_DIRS or (last == "SUB" and up in ("M4ROOT", "XDROOT"))
    if layout is None and not has_xmp and not raw and not proxy_dirs and not proxy_folder:
        return None
    plan = FolderPlan(directory=directory, layout=layout, names=list(names),
                      split_rule=(split_rule or SplitRule()) if layout in ("dji", "xavc", "xdcam") else None)
    if layout == "avchd":
        _avchd_spans(plan, names)
    elif layout == "p2":
        _p2_spans(plan, names)
    _spans(plan, names)
    _sidecars(plan, names)
    _proxies(plan, names, proxy_dirs, parent_names if proxy_folder else (), last, up)
    return plan


def _spans(plan: FolderPlan, names: list[str]) -> None:
    chapters: dict[str, dict[int, str]] = {}
    for name in names:
        m_first, m_old, m_new = _GOPRO_FIRST.match(name), _GOPRO_OLD.match(name), _GOPRO_NEW.match(name)
        m_r3d, m_xf = _R3D.match(name), _CANON_XF.match(name)
        if plan.layout == "gopro" and m_first:
            key, order = f"GP{m_first[1]}", 0
        elif plan.layout == "gopro" and m_old:
            key, order = f"GP{m_old[2]}", int(m_old[1])
        elif plan.layout == "gopro" and m_new:
            key, order = f"{m_new[1].upper()}{m_new[3]}", int(m_new[2])
        elif m_r3d:
            key, order = f"R3D:{m_r3d[1]}", int(m_r3d[2])
        elif plan.layout == "canon_xf" and m_xf:
            key, order = f"XF:{m_xf[1].upper()}", int(m_xf[2])
        else:
            if plan.layout == "gopro" and name.upper().endswith((".LRV", ".THM")):
                plan.skip.add(name)  # low-resolution proxies and thumbnails the camera writes beside each file
            if plan.layout in ("xavc", "xdcam") and _SONY_PROXY.match(name):
                plan.skip.add(name)
            continue
        if name not in plan.spans:  # a playlist or XML already placed it
            plan.spans[name] = (key, order)
            chapters.setdefault(key, {})[order] = name
    for key, by_order in chapters.items():
        first = 0 if key.startswith("GP") else 1  # GOPR1234 is chapter 0 of the old naming; else they count from 1
        plan.expected[key] = [_expected_name(key, by_order, i) for i in range(first, max(by_order) + 1)]


def _avchd_spans(plan: FolderPlan, names: list[str]) -> None:
    """AVCHD: the playlists say which STREAM files continue one recording (files cut at the 4 GB limit)."""
    by_stem = {os.path.splitext(n)[0].upper(): n for n in names}
    for items in avchd_recordings(plan.directory):
        if len(items) < 2:
            continue
        key = f"AVCHD:{items[0].clip}"
        ext = os.path.splitext(by_stem.get(items[0].clip, f"{items[0].clip}.MTS"))[1]
        plan.expected[key] = [by_stem.get(i.clip, f"{i.clip}{ext}") for i in items]
        for order, item in enumerate(items):
            if item.clip in by_stem:
                plan.spans[by_stem[item.clip]] = (key, order)


def _p2_spans(plan: FolderPlan, names: list[str]) -> None:
    """P2: each clip's XML names the clip before and after it in a spanned recording."""
    for chain in p2_recordings(plan.directory, names):
        key = f"P2:{chain[0]}"
        plan.expected[key] = list(chain)
        for order, name in enumerate(chain):
            plan.spans[name] = (key, order)


def _expected_name(key: str, by_order: dict[int, str], order: int) -> str:
    """The file name part `order` of span `key` must have (to name a missing part)."""
    if order in by_order:
        return by_order[order]
    sample = next(iter(by_order.values()))
    if key.startswith("R3D:"):
        return f"{key[4:]}_{order:03d}{os.path.splitext(sample)[1]}"
    if key.startswith("XF:"):
        return f"{key[3:]}{order:02d}{os.path.splitext(sample)[1]}"
    if key.startswith("GP"):
        return f"GOPR{key[2:]}.MP4" if order == 0 else f"GP{order:02d}{key[2:]}.MP4"
    return f"{key[:2]}{order:02d}{key[2:]}.MP4"


PROXY_DIRS = {"PROXY", "PROXIES", "PROXY MEDIA"}
_PROXY_SUFFIX = re.compile(r"(?:[_ .-]proxy)$", re.I)


def _stem(name: str) -> str:
    return _PROXY_SUFFIX.sub("", os.path.splitext(name)[0]).upper()


def _proxies(plan: FolderPlan, names: list[str], proxy_dirs: list[str], parent_names, last: str, up: str) -> None:
    """Proxies linked to their originals by the camera's or the editor's naming: GoPro `GL…LRV` beside `GX…MP4`,
    Sony `SUB/<clip>S03.MP4`, a `Proxy/` folder of same-named files (Resolve, Premiere `_Proxy`). A proxy is
    listed on its original's clip, never catalogued as footage of its own."""
    videos = {_stem(n): n for n in names if os.path.splitext(n)[1].upper() not in (".XML", ".XMP", ".LRV", ".THM")}
    if plan.layout == "gopro":
        for n in names:
            if n.upper().endswith(".LRV"):
                original = ("GX" + n[2:-4] if n.upper().startswith("GL") else n[:-4]).upper()
                for candidate in (original, "GH" + original[2:]):
                    if candidate in videos:
                        plan.proxy_for.setdefault(videos[candidate], []).append(os.path.join(plan.directory, n))
                        break
    if plan.layout in ("xavc", "xdcam"):
        sub = os.path.join(os.path.dirname(plan.directory), "SUB")
        for n in names:
            stem, ext = os.path.splitext(n)
            if ext.upper() == ".MP4" and not _SONY_PROXY.match(n):
                plan.proxy_for.setdefault(n, []).append(os.path.join(sub, f"{stem}S03.MP4"))
    for folder in proxy_dirs:  # one listing, only where a Proxy folder sits beside the footage
        try:
            inside = os.listdir(os.path.join(plan.directory, folder))
        except OSError:
            continue
        for n in inside:
            original = videos.get(_stem(n))
            if original is not None:
                plan.proxy_for.setdefault(original, []).append(os.path.join(plan.directory, folder, n))
    if last in PROXY_DIRS:  # inside a Proxy folder: files named like an original one level up are proxies
        originals = {_stem(n) for n in parent_names}
        plan.skip.update(n for n in names if _stem(n) in originals)
    if last == "SUB" and up in ("M4ROOT", "XDROOT"):
        plan.skip.update(n for n in names if _SONY_PROXY.match(n))


def _sidecars(plan: FolderPlan, names: list[str]) -> None:
    """Sidecar files by each layout's naming rules (the P2 one lives in the sibling CLIP folder)."""
    by_upper = {n.upper(): n for n in names}
    for name in names:
        stem, ext = os.path.splitext(name)
        if ext.upper() in (".XML", ".XMP", ".THM", ".LRV", ".CPI"):
            continue
        found: list[str] = []
        if plan.layout in ("xavc", "xdcam") and f"{stem.upper()}M01.XML" in by_upper:
            found.append(by_upper[f"{stem.upper()}M01.XML"])
        if plan.layout == "canon_xf":
            xf = _CANON_XF.match(name)
            # AA0001.XML describes the whole clip AA0001: it goes with its first file (whose start it gives)
            clip_xml = {f"{xf[1].upper()}.XML"} if xf and xf[2] == "01" else set()
            for cand in ({f"{stem.upper()}.XML"} | clip_xml):
                if cand in by_upper:
                    found.append(by_upper[cand])
        for xmp in (f"{stem.upper()}.XMP", f"{name.upper()}.XMP"):
            if xmp in by_upper:
                found.append(by_upper[xmp])
        paths = [os.path.join(plan.directory, f) for f in found]
        if plan.layout == "p2":
            paths.append(os.path.join(os.path.dirname(plan.directory), "CLIP", f"{stem}.XML"))
        if paths:
            plan.sidecar_for[name] = paths
