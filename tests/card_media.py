"""Camera cards built the way cameras write them: folder layouts, file names and XML sidecars in each format's
published schema, around tiny clips made with PyAV (tests/media.py). Each builder returns what the card's truth is.

Sidecars follow the vendors' documented structures (Sony NonRealTimeMeta ver.2.00, Panasonic P2 ClipMetadata
v3.x, Canon XF clip XML); they are written here, not copied from a camera.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from vcat_core.pipeline.metadata.timecode import format_timecode, parse_timecode

from .media import make_clip

FAST = {"preset": "ultrafast"}


def tc_clip(path: Path, timecode: str | None, *, fps: Fraction | int = 25, seconds: float = 1.0,
            codec: str = "libx264", fmt: str | None = None, size: tuple[int, int] = (96, 64), **kw) -> Path:
    """A tiny clip whose container carries a start timecode (a tmcd track in MOV/MP4, the MXF timecode)."""
    meta = {"timecode": timecode} if timecode else None
    opts = FAST if codec == "libx264" else None
    return make_clip(path, codec=codec, width=size[0], height=size[1], fps=fps, seconds=seconds, format=fmt,
                     metadata=meta, codec_options=opts, **kw)


def make_gopro_card(root: Path, number: str = "0042", chapters: int = 3, skip: tuple[int, ...] = (),
                    start: str = "10:00:00:00", seconds: float = 1.0, fps: int = 25) -> list[Path]:
    """DCIM/100GOPRO/GX01<n>.MP4, GX02<n>.MP4 … (chapters of one recording, timecode running on across them) plus
    the camera's GL…LRV proxy and .THM thumbnail of each; chapters in `skip` (1-based) are left out."""
    folder = root / "DCIM" / "100GOPRO"
    folder.mkdir(parents=True, exist_ok=True)
    tc = parse_timecode(start, fps)
    out = []
    for ch in range(1, chapters + 1):
        start_tc = format_timecode(tc.frame + round((ch - 1) * seconds * fps), tc.rate)
        if ch in skip:
            continue
        out.append(tc_clip(folder / f"GX{ch:02d}{number}.MP4", start_tc, fps=fps, seconds=seconds))
        (folder / f"GL{ch:02d}{number}.LRV").write_bytes(out[-1].read_bytes())  # the camera's low-res proxy
        (folder / f"GX{ch:02d}{number}.THM").write_bytes(b"\xff\xd8\xff\xe0 thumbnail")
    return out


def sony_ltc(timecode: str) -> str:
    """"01:16:07;15" → the NonRealTimeMeta LtcChange value "55071601" (BCD FF SS MM HH, 0x40 = drop-frame)."""
    hh, mm, ss, ff = int(timecode[0:2]), int(timecode[3:5]), int(timecode[6:8]), int(timecode[9:11])
    drop = timecode[8] == ";"

    def bcd(n: int) -> int:
        return (n // 10) << 4 | n % 10

    return "".join(f"{b:02X}" for b in (bcd(ff) | (0x40 if drop else 0), bcd(ss), bcd(mm), bcd(hh)))


SONY = dict(make="Sony", model="ILCE-7SM3", serial="5551234", lens="FE 24-70mm F2.8 GM II", gamma="s-log3-cine",
            primaries="s-gamut3-cine", created="2024-03-02T09:15:30+09:00", iso=12800)


def sony_xml(timecode: str, fps_label: str, frames: int, created: str | None = None) -> str:
    s = dict(SONY, created=created or SONY["created"])
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<NonRealTimeMeta xmlns="urn:schemas-professionalDisc:nonRealTimeMeta:ver.2.00"
  xmlns:lib="urn:schemas-professionalDisc:lib:ver.2.00" lastUpdate="2024-03-02T09:16:00+09:00">
  <TargetMaterial umidRef="060A2B340101010501010D43130000000000000000000000000000000000000000"/>
  <Duration value="{frames}"/>
  <LtcChangeTable tcFps="{round(float(fps_label.rstrip('pi')))}" halfStep="false">
    <LtcChange frameCount="0" value="{sony_ltc(timecode)}" status="increment"/>
    <LtcChange frameCount="{frames - 1}" value="00000000" status="end"/>
  </LtcChangeTable>
  <CreationDate value="{s['created']}"/>
  <VideoFormat>
    <VideoRecPort port="DIRECT"/>
    <VideoFrame videoCodec="AVC_1920_1080_HP@L42" captureFps="{fps_label}" formatFps="{fps_label}"/>
    <VideoLayout pixel="1920" numOfVerticalLine="1080" aspectRatio="16:9"/>
  </VideoFormat>
  <AudioFormat numOfChannel="2"><AudioRecPort port="DIRECT" audioCodec="LPCM16" trackDst="CH1"/></AudioFormat>
  <Device manufacturer="{s['make']}" modelName="{s['model']}" serialNo="{s['serial']}"/>
  <RecordingMode type="normal" cacheRec="false"/>
  <AcquisitionRecord>
    <Group name="CameraUnitMetadataSet">
      <Item name="CaptureGammaEquation" value="{s['gamma']}"/>
      <Item name="CaptureColorPrimaries" value="{s['primaries']}"/>
      <Item name="CodingEquations" value="rec709"/>
      <Item name="ISOSensitivity" value="{s['iso']}"/>
    </Group>
    <Group name="LensUnitMetadataSet">
      <Item name="LensModelName" value="{s['lens']}"/>
    </Group>
  </AcquisitionRecord>
</NonRealTimeMeta>
"""


def make_sony_card(root: Path, timecode: str = "01:16:07;15", fps: Fraction = Fraction(30000, 1001),
                   fps_label: str = "29.97p") -> Path:
    """PRIVATE/M4ROOT/CLIP/C0001.MP4 (no timecode of its own) + C0001M01.XML, and a Sub/ proxy folder."""
    folder = root / "PRIVATE" / "M4ROOT" / "CLIP"
    clip = tc_clip(folder / "C0001.MP4", None, fps=fps, seconds=0.5)
    frames = round(0.5 * fps)
    (folder / "C0001M01.XML").write_text(sony_xml(timecode, fps_label, frames), encoding="utf-8")
    return clip


P2 = dict(make="Panasonic", model="AU-EVA1", serial="C9TA00123", gamma="V-Log", created="2024-06-01T18:30:00-04:00")


def p2_xml(clip: str, timecode: str, drop: bool, rate_label: str, gid: str, previous: str | None = None,
           next_: str | None = None) -> str:
    p = P2
    relation = ""
    if previous or next_:
        relation = f"""<Relation><Connection>
        <Top><GlobalClipID>{previous or gid}</GlobalClipID></Top>
        {f'<Previous><GlobalClipID>{previous}</GlobalClipID></Previous>' if previous else ''}
        {f'<Next><GlobalClipID>{next_}</GlobalClipID></Next>' if next_ else ''}
      </Connection></Relation>"""
    return f"""<?xml version="1.0" encoding="UTF-8" standalone="no" ?>
<P2Main xmlns="urn:schemas-Professional-Plug-in:P2:ClipMetadata:v3.1">
  <ClipContent>
    <ClipName>{clip}</ClipName>
    <GlobalClipID>{gid}</GlobalClipID>
    <Duration>25</Duration>
    <EditUnit>1/25</EditUnit>
    <EssenceList>
      <Video>
        <VideoFormat>MXF</VideoFormat><Codec Class="100">AVC-I_1080/50p</Codec>
        <FrameRate>{rate_label}</FrameRate>
        <StartTimecode>{timecode}</StartTimecode>
        <StartBinaryGroup>00000000</StartBinaryGroup>
        <AspectRatio>16:9</AspectRatio>
        <DropFrameFlag>{'true' if drop else 'false'}</DropFrameFlag>
      </Video>
    </EssenceList>
    {relation}
    <ClipMetadata>
      <UserClipName>{clip}</UserClipName>
      <Access><CreationDate>{p['created']}</CreationDate><LastUpdateDate>{p['created']}</LastUpdateDate></Access>
      <Device><Manufacturer>{p['make']}</Manufacturer><SerialNo.>{p['serial']}</SerialNo.><ModelName>{p['model']}</ModelName></Device>
      <Shoot><StartDate>{p['created']}</StartDate></Shoot>
      <CameraUnitMetadata><Gamma><CaptureGamma>{p['gamma']}</CaptureGamma></Gamma></CameraUnitMetadata>
    </ClipMetadata>
  </ClipContent>
</P2Main>
"""


def make_p2_card(root: Path, timecode: str = "12:00:00:00") -> Path:
    """CONTENTS/VIDEO/0001AB.MXF + CONTENTS/CLIP/0001AB.XML (the P2 clip metadata lives in a sibling folder)."""
    video = tc_clip(root / "CONTENTS" / "VIDEO" / "0001AB.MXF", None, fps=25, seconds=0.4, codec="mpeg2video",
                    fmt="mxf")
    clip_dir = root / "CONTENTS" / "CLIP"
    clip_dir.mkdir(parents=True, exist_ok=True)
    (clip_dir / "0001AB.XML").write_text(p2_xml("0001AB", timecode, False, "50p",
                                                "060A2B340101010501010D4313000000AAAA"), encoding="utf-8")
    # one recording spanned over two clips: their XML link them (Top / Previous / Next by GlobalClipID)
    ids = ["060A2B340101010501010D4313000000BBBB", "060A2B340101010501010D4313000000CCCC"]
    for i, (name, tc) in enumerate((("0002CD", "13:00:00:00"), ("0003EF", "13:00:00:10"))):
        tc_clip(root / "CONTENTS" / "VIDEO" / f"{name}.MXF", None, fps=25, seconds=0.4, codec="mpeg2video",
                fmt="mxf")
        xml = p2_xml(name, tc, False, "25p", ids[i], previous=ids[0] if i else None, next_=None if i else ids[1])
        (clip_dir / f"{name}.XML").write_text(xml, encoding="utf-8")
    return video


CANON = dict(model="Canon EOS C70", serial="413020000123", lens="RF24-105mm F4 L IS USM", gamma="Canon Log 3")


def canon_xml(timecode: str) -> str:
    c = CANON
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ClipMetadata xmlns="http://www.canon.com/ns/VideoClip/Metadata/1.0">
  <Device><Manufacturer>Canon</Manufacturer><ModelName>{c['model']}</ModelName>
    <SerialNumber>{c['serial']}</SerialNumber></Device>
  <Lens><LensName>{c['lens']}</LensName></Lens>
  <Recording><RecordingDate>2024-09-10T07:45:00+02:00</RecordingDate><StartTimecode>{timecode}</StartTimecode>
    <DropFrame>false</DropFrame><FrameRate>25.00</FrameRate></Recording>
  <ImageSettings><Gamma>{c['gamma']}</Gamma><ColorSpace>Cinema Gamut</ColorSpace><ISO>800</ISO>
    <ShutterAngle>180.00</ShutterAngle></ImageSettings>
</ClipMetadata>
"""


def make_canon_xf_card(root: Path, parts: int = 2, timecode: str = "05:00:00:00") -> list[Path]:
    """CONTENTS/CLIPS001/AA0001/AA000101.MXF, AA000102.MXF … (one clip split across files) + AA0001.XML."""
    folder = root / "CONTENTS" / "CLIPS001" / "AA0001"
    tc = parse_timecode(timecode, 25)
    out = [tc_clip(folder / f"AA0001{i + 1:02d}.MXF", format_timecode(tc.frame + i * 10, tc.rate), fps=25,
                   seconds=0.4, codec="mpeg2video", fmt="mxf") for i in range(parts)]
    (folder / "AA0001.XML").write_text(canon_xml(timecode), encoding="utf-8")
    return out


def make_braw(path: Path) -> Path:
    """A file named like Blackmagic RAW whose picture no FFmpeg here decodes (the codec is not in FFmpeg)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + os.urandom(4096))
    return path


def snapshot(root: Path) -> dict[str, tuple[int, int, bytes]]:
    """(size, mtime_ns, bytes) of every file under root: originals must come out untouched."""
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes()) for p in sorted(root.rglob("*"))
            if p.is_file()}


XMP = dict(rating=4, label="Red", keywords=["interview", "rooftop"], description="CEO on the roof",
           timecode="03:00:00:00")


def xmp_sidecar(path: Path) -> Path:
    """An XMP sidecar as Lightroom / Bridge / Resolve write one beside a clip: rating, label, keywords, a
    description and Premiere's start timecode (xmpDM)."""
    x = XMP
    items = "".join(f"<rdf:li>{k}</rdf:li>" for k in x["keywords"])
    path.write_text(f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about="" xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:xmpDM="http://ns.adobe.com/xmp/1.0/DynamicMedia/"
    xmp:Rating="{x['rating']}" xmp:Label="{x['label']}">
   <dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{x['description']}</rdf:li></rdf:Alt></dc:description>
   <xmpDM:startTimecode xmpDM:timeFormat="25Timecode" xmpDM:timeValue="{x['timecode']}"/>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>
""", encoding="utf-8")
    return path


def mpl_bytes(items: list[tuple[str, int, float]]) -> bytes:
    """An AVCHD playlist (MPLS layout, see vcat_core/pipeline/cards/playlists.py): (clip, connection_condition,
    seconds) per PlayItem."""
    import struct

    body = b""
    t = 0
    for clip, cc, seconds in items:
        out = t + round(seconds * 45000)
        item = clip.encode() + b"M2TS" + struct.pack(">H", cc) + b"\x00" + struct.pack(">II", t, out) + b"\x00" * 8
        body += struct.pack(">H", len(item)) + item
        t = out
    playlist = struct.pack(">IHHH", 6 + len(body), 0, len(items), 0) + body
    header = b"MPLS0100" + struct.pack(">III", 40, 0, 0) + b"\x00" * 20
    return header + playlist


def _mts(path: Path, timecode: str, seconds: float) -> Path:
    import subprocess

    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=25",
                    "-t", str(seconds), "-c:v", "mpeg2video", "-g", "5", "-timecode", timecode, "-f", "mpegts",
                    "-mpegts_m2ts_mode", "1", str(path)], check=True)
    return path


def make_avchd_card(root: Path, drop_second: bool = False) -> list[Path]:
    """PRIVATE/AVCHD/BDMV/STREAM/00000.MTS + 00001.MTS (one recording cut in two: the playlist's second item is
    seamless) + 00002.MTS (the next recording), with PLAYLIST/00000.MPL and CLIPINF/*.CPI."""
    bdmv = root / "PRIVATE" / "AVCHD" / "BDMV"
    made = [_mts(bdmv / "STREAM" / "00000.MTS", "03:00:00:00", 1.0),
            _mts(bdmv / "STREAM" / "00001.MTS", "03:00:01:00", 1.0),
            _mts(bdmv / "STREAM" / "00002.MTS", "04:00:00:00", 0.6)]
    if drop_second:
        made[1].unlink()
    (bdmv / "PLAYLIST").mkdir(parents=True, exist_ok=True)
    (bdmv / "PLAYLIST" / "00000.MPL").write_bytes(mpl_bytes([("00000", 1, 1.0), ("00001", 6, 1.0),
                                                             ("00002", 1, 0.6)]))
    (bdmv / "CLIPINF").mkdir(exist_ok=True)
    for i in range(3):
        (bdmv / "CLIPINF" / f"0000{i}.CPI").write_bytes(b"HDMV0100" + bytes(32))
    return made


def make_hdr10(path: Path) -> Path:
    """HEVC Main 10, PQ, with SMPTE ST 2086 mastering display and content light levels (x265 SEI)."""
    from .media import BT2020, RANGE_LIMITED, SPC_BT2020NC, TRC_PQ

    params = ("log-level=error:hdr10=1:repeat-headers=1:max-cll=1000,400:"
              "master-display=G(13250,34500)B(7500,3000)R(34000,16000)WP(15635,16450)L(10000000,1)")
    return make_clip(path, codec="libx265", width=128, height=72, fps=24, seconds=0.3, pix_fmt="yuv420p10le",
                     codec_options={"preset": "ultrafast", "x265-params": params},
                     color={"color_primaries": BT2020, "color_trc": TRC_PQ, "colorspace": SPC_BT2020NC,
                            "color_range": RANGE_LIMITED})


def sony_take(folder: Path, number: int, timecode: str, created: str, seconds: float, fps: int = 25) -> Path:
    """One Sony XAVC file `C<number>.MP4` with its `M01.XML` (start LTC, length in frames, creation time)."""
    clip = tc_clip(folder / f"C{number:04d}.MP4", None, fps=fps, seconds=seconds)
    (folder / f"C{number:04d}M01.XML").write_text(sony_xml(timecode, f"{fps}p", round(seconds * fps), created),
                                                 encoding="utf-8")
    return clip


def dji_take(path: Path, created: str, seconds: float) -> Path:
    """A DJI drone file: the encoder tag DJI writes, a creation time, no timecode."""
    return make_clip(path, width=96, height=64, fps=25, seconds=seconds, codec_options=FAST,
                     metadata={"creation_time": created, "encoder": "DJIMavic3"})


def make_split_cards(root: Path) -> dict[str, list[Path]]:
    """4 GB splits the names do not announce, made small: the "long" files (2 s) stand for ones cut at the size
    limit, the short ones (0.5 s) for where a recording ended. A test sets the size window around the long files.

    Sony `PRIVATE/M4ROOT/CLIP`: C0001 (long) + C0002 carry on (LTC, creation time) = one recording; C0003 carries
    on from C0002 by record-run timecode but C0002 is short: a take of its own; C0004 (long) with no C0005 beside
    it: a part missing. DJI `DCIM/100MEDIA`: DJI_0001 (long) + DJI_0002 = one recording (creation times);
    DJI_0003 (long) and DJI_0004 started minutes apart: two takes."""
    clip = root / "sony" / "PRIVATE" / "M4ROOT" / "CLIP"
    sony = [sony_take(clip, 1, "01:00:00:00", "2024-05-01T10:00:00+02:00", 2.0),
            sony_take(clip, 2, "01:00:02:00", "2024-05-01T10:00:02+02:00", 0.5),
            sony_take(clip, 3, "01:00:02:12", "2024-05-01T10:07:00+02:00", 0.52),  # lengths differ: the same
            sony_take(clip, 4, "02:00:00:00", "2024-05-01T11:00:00+02:00", 2.04)]  # bytes would be one clip
    media = root / "dji" / "DCIM" / "100MEDIA"
    dji = [dji_take(media / "DJI_0001.MP4", "2024-05-02T08:00:00Z", 2.0),
           dji_take(media / "DJI_0002.MP4", "2024-05-02T08:00:02Z", 0.5),
           dji_take(media / "DJI_0003.MP4", "2024-05-02T08:10:00Z", 2.0),
           dji_take(media / "DJI_0004.MP4", "2024-05-02T08:20:00Z", 0.5)]
    return {"sony": sony, "dji": dji}
