"""Camera XML sidecars read into typed facts (pure parsing; the caller reads the file, read-only).

One tolerant reader for the vendors' published schemas, by local element / attribute names (namespaces and
versions vary between camera generations):
* Sony XAVC / XDCAM `…M01.XML` (NonRealTimeMeta): `Device@manufacturer/@modelName/@serialNo`, `Lens@modelName`,
  `CreationDate@value`, `LtcChangeTable@tcFps` + the first `LtcChange@value` (BCD, frames-seconds-minutes-hours,
  bit 0x40 of the frames byte = drop-frame), `VideoFrame@captureFps`, `Item name="CaptureGammaEquation"` …
* Panasonic P2 `CONTENTS/CLIP/<clip>.XML` (P2Main / ClipContent): `Device/Manufacturer|ModelName|SerialNo.`,
  `StartTimecode`, `DropFrameFlag`, `FrameRate`, `CaptureGamma`, `CreationDate`, `Relation/Connection` (spans).
* Canon XF / Cinema EOS clip XML: `ModelName`, `SerialNumber`, `LensName`, `StartTimecode` / `TimeCode`,
  `Gamma`, `ColorSpace`, `ISO`, `RecordingDate`.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..metadata.reconcile import parse_date
from ..metadata.timecode import snap_rate

# field -> the local names (element, element@attribute, or a Sony <Item name=…>) that carry it, in priority order
ALIASES: dict[str, list[str]] = {
    "camera_make": ["device@manufacturer", "manufacturer", "devicemanufacturer"],
    "camera_model": ["device@modelname", "modelname", "devicemodelname", "cameramodel"],
    "camera_serial": ["device@serialno", "serialno.", "serialno", "serialnumber", "bodyserialnumber"],
    "lens_model": ["lens@modelname", "lensmodelname", "lensname", "lensmodel", "lens"],
    "created_at": ["creationdate@value", "creationdate", "recordingdate", "startdate", "shootingdate"],
    "timecode": ["starttimecode", "timecode", "starttc"],
    "drop_frame": ["dropframeflag", "dropframe", "ltcchangetable@dropframe"],
    "rate": ["videoframe@capturefps", "videoframe@formatfps", "framerate", "capturefps", "ltcchangetable@tcfps"],
    "gamma": ["capturegammaequation", "capturegamma", "gamma", "gammacurve", "transfercharacteristics"],
    "color_primaries_name": ["capturecolorprimaries", "colorprimaries", "colorspace", "gamut"],
    "iso": ["isosensitivity", "iso", "exposureindexofphotometer", "ei"],
    "exposure": ["shutterspeed_angle", "shutterspeed_time", "shutterangle", "shutterspeed", "exposuretime"],
    "frames": ["duration@value"],  # Sony: the clip's length in frames
    "video_codec": ["videoframe@videocodec"],
}

# a camera's gamma names -> the log profile facet (S-Log3 …); HLG is a broadcast HDR curve, kept as both
LOG_PROFILES = [
    (re.compile(r"s-?log-?3", re.I), "S-Log3"), (re.compile(r"s-?log-?2", re.I), "S-Log2"),
    (re.compile(r"s-?log(?!\d)", re.I), "S-Log"), (re.compile(r"v-?log", re.I), "V-Log"),
    (re.compile(r"c(?:anon)?[\s-]?log[\s-]?3", re.I), "C-Log3"),
    (re.compile(r"c(?:anon)?[\s-]?log[\s-]?2", re.I), "C-Log2"), (re.compile(r"c(?:anon)?[\s-]?log", re.I), "C-Log"), (re.compile(r"n-?log", re.I), "N-Log"),
    (re.compile(r"f-?log-?2", re.I), "F-Log2"), (re.compile(r"f-?log", re.I), "F-Log"),
    (re.compile(r"log-?c-?4", re.I), "LogC4"), (re.compile(r"log-?c", re.I), "LogC3"),
    (re.compile(r"red-?log|log3g10", re.I), "Log3G10"), (re.compile(r"d-?log", re.I), "D-Log"),
    (re.compile(r"protune.*flat|gopro.*log", re.I), "GoPro Log"),
    (re.compile(r"bmd.*film|blackmagic.*film", re.I), "Blackmagic Film"),
    (re.compile(r"hlg|hybrid.?log|arib-std-b67", re.I), "HLG"),
]


@dataclass
class SidecarFacts:
    """What one sidecar says; `kind` names its schema ("sony_xml", "p2_xml", "canon_xml")."""

    kind: str
    path: str
    values: dict[str, Any] = field(default_factory=dict)
    connection: dict[str, str] = field(default_factory=dict)  # P2 spans: top / previous / next clip ids


def log_profile(gamma: str | None) -> str | None:
    """"s-log3-cine" → "S-Log3"; "V-Log" → "V-Log"; None for a display gamma (rec709)."""
    if not gamma:
        return None
    return next((name for rx, name in LOG_PROFILES if rx.search(gamma)), None)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def _flatten(root: ET.Element) -> dict[str, str]:
    """local name -> first text; element@attr -> value; Sony <Item name=X value=Y> -> x -> Y."""
    flat: dict[str, str] = {}
    for el in root.iter():
        name = _local(el.tag)
        text = (el.text or "").strip()
        if text:
            flat.setdefault(name, text)
        for attr, value in el.attrib.items():
            flat.setdefault(f"{name}@{_local(attr)}", value)
        if name == "item" and "name" in el.attrib and "value" in el.attrib:
            flat.setdefault(el.attrib["name"].lower(), el.attrib["value"])
    return flat


def sony_ltc(value: str, half_step: bool = False) -> tuple[str, bool] | None:
    """Sony LtcChange value "15071601" (packed LTC, BCD bytes FF SS MM HH; bit 0x40 of FF = drop-frame, the
    flag bits of SS / MM / HH masked off) → ("01:16:07:15", drop-frame). Some bodies write "HH:MM:SS:FF" as is.
    `half_step`: the table counts LTC at half the recording rate (tcFps="30" halfStep="true" for 59.94p), so
    the frame label doubles."""
    value = (value or "").strip()
    if m := re.fullmatch(r"(\d\d):(\d\d):(\d\d)([:;.,])(\d\d)", value):
        hh, mm, ss, ff, drop = int(m[1]), int(m[2]), int(m[3]), int(m[5]), m[4] in ";,"
    elif re.fullmatch(r"[0-9a-fA-F]{8}", value):
        b_ff, b_ss, b_mm, b_hh = (int(value[i:i + 2], 16) for i in range(0, 8, 2))
        drop = bool(b_ff & 0x40)

        def bcd(b: int, mask: int) -> int:
            b &= mask
            return (b >> 4) * 10 + (b & 0x0F)

        hh, mm, ss, ff = bcd(b_hh, 0x3F), bcd(b_mm, 0x7F), bcd(b_ss, 0x7F), bcd(b_ff, 0x3F)
    else:
        return None
    ff = ff * 2 if half_step else ff
    return f"{hh:02d}:{mm:02d}:{ss:02d}{';' if drop else ':'}{ff:02d}", drop


def parse_sidecar(path: str, data: bytes) -> SidecarFacts | None:
    """Facts from one XML sidecar's bytes; None when it is not a camera sidecar we know."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError:
        return None
    root_name = _local(root.tag)
    kind = {"nonrealtimemeta": "sony_xml", "p2main": "p2_xml"}.get(root_name)
    if kind is None:
        ns = root.tag[1:].split("}")[0].lower() if root.tag.startswith("{") else ""
        kind = "canon_xml" if "canon" in ns or root_name in ("clipmetadata", "clipinfo", "xfmeta") else None
    if kind is None:
        return None
    flat = _flatten(root)
    facts = SidecarFacts(kind=kind, path=path)
    for fld, names in ALIASES.items():
        value = next((flat[n] for n in names if flat.get(n)), None)
        if value is not None:
            facts.values[fld] = value
    if kind == "sony_xml":
        changes = [el for el in root.iter() if _local(el.tag) == "ltcchange"]
        first = next((el for el in changes if el.attrib.get("frameCount") == "0"), changes[0] if changes else None)
        half = flat.get("ltcchangetable@halfstep", "").lower() == "true"
        ltc = sony_ltc(first.attrib.get("value", ""), half) if first is not None else None
        if ltc:
            facts.values["timecode"], facts.values["drop_frame"] = ltc
    _normalise(facts)
    if kind == "p2_xml":
        for el in root.iter():
            if _local(el.tag) == "connection":
                for child in el:
                    gid = next((c.text for c in child.iter() if _local(c.tag) == "globalclipid" and c.text), None)
                    if gid:
                        facts.connection[_local(child.tag)] = gid.strip()
        gid = flat.get("globalclipid")
        if gid:
            facts.connection.setdefault("self", gid)
    return facts


def _normalise(facts: SidecarFacts) -> None:
    v = facts.values
    if "created_at" in v:
        v["created_at"] = parse_date(v["created_at"])
        if v["created_at"] is None:
            del v["created_at"]
    if "drop_frame" in v and isinstance(v["drop_frame"], str):
        v["drop_frame"] = v["drop_frame"].strip().lower() in ("true", "1", "yes", "df")
    if "rate" in v:
        m = re.match(r"\s*(\d+(?:\.\d+)?)", str(v["rate"]))
        v["rate"] = snap_rate(m[1]) if m else None
        if v["rate"] is None:
            del v["rate"]
    if "frames" in v:
        v["frames"] = int(v["frames"]) if str(v["frames"]).isdigit() else None
        if v["frames"] is None:
            del v["frames"]
    if "iso" in v:
        m = re.match(r"\s*(\d+)", str(v["iso"]))
        if m:
            v["iso"] = int(m[1])
        else:
            del v["iso"]
    if "gamma" in v:
        v["log_profile"] = log_profile(v["gamma"])


def created_with_zone(value: datetime | None) -> bool:
    return value is not None and value.tzinfo is not None
