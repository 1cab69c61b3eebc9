"""Contact sheets for producers who review on paper or by email: one row per clip with its thumbnails, name,
duration, resolution, codec, camera, timecode, flags and tags. PDF through reportlab (text stays text), PNG
through Pillow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..humanize import human_duration
from .selects import Select

SHEET_FORMATS = ("pdf", "png")
THUMBS_PER_ROW = 4
ROWS_PER_PNG = 25  # a longer sheet continues in NAME-2.png, NAME-3.png… (one image stays a few MB)


@dataclass
class SheetRow:
    name: str
    facts: list[str]  # short "label value" lines
    thumbnails: list[str]  # image files, in time order


def _timecode(sel: Select) -> str:
    from opentimelineio.opentime import RationalTime, to_timecode

    start = sel.timing.start + RationalTime(sel.in_frame, sel.rate)
    return to_timecode(start, sel.rate)


def sheet_row(sel: Select) -> SheetRow:
    doc, tm = sel.doc, sel.doc.get("technical_metadata") or {}
    camera = " ".join(x for x in (tm.get("camera_make"), tm.get("camera_model")) if x) or "-"
    flags = list((doc.get("quality") or {}).get("flags") or [])
    flags += [x for x in ("vfr" if tm.get("is_vfr") else None, tm.get("exposure_issue")) if x]
    res = f"{tm.get('resolution_width')}x{tm.get('resolution_height')}" if tm.get("resolution_width") else "-"
    fps = f" @ {sel.rate:.3f}".rstrip("0").rstrip(".") if tm.get("frame_rate") else ""
    facts = [f"duration {human_duration((sel.out_frame - sel.in_frame) / sel.rate)}", f"resolution {res}{fps}",
             f"codec {tm.get('codec') or '-'}", f"camera {camera}", f"timecode {_timecode(sel)}",
             f"flags {', '.join(dict.fromkeys(flags)) or '-'}", f"tags {', '.join(doc.get('tags') or []) or '-'}"]
    if sel.moment and sel.moment.get("snippet"):
        facts.append(f"moment “{sel.moment['snippet']}”")
    thumbs = [p for p in doc.get("thumbnail_paths") or [] if Path(p).is_file()]
    if len(thumbs) > THUMBS_PER_ROW:  # spread over the clip
        step = (len(thumbs) - 1) / (THUMBS_PER_ROW - 1)
        thumbs = [thumbs[round(i * step)] for i in range(THUMBS_PER_ROW)]
    return SheetRow(sel.name, facts, thumbs)


def write_contact_sheet(selects: list[Select], fmt: str, path: str | Path, title: str) -> list[Path]:
    """Write the sheet; returns the files written (a long PNG sheet takes several)."""
    rows, path = [sheet_row(s) for s in selects], Path(path)
    if fmt == "pdf":
        _pdf(rows, path, title)
        return [path]
    if fmt == "png":
        return _png(rows, path, title)
    raise ValueError(f"unknown contact sheet format {fmt!r}; use pdf or png")


def _pdf(rows: list[SheetRow], path: Path, title: str) -> None:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Table, TableStyle

    styles = getSampleStyleSheet()
    thumb_w = 42 * mm
    data = []
    for r in rows:
        images = []
        for p in r.thumbnails:
            img = Image(p)
            img.drawHeight = thumb_w * img.imageHeight / max(1, img.imageWidth)
            img.drawWidth = thumb_w
            images.append(img)
        images += [""] * (THUMBS_PER_ROW - len(images))
        text = Paragraph(f"<b>{escape(r.name)}</b><br/>" + "<br/>".join(escape(f) for f in r.facts),
                         styles["BodyText"])
        data.append([text, *images])
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4), title=title, author="vcat",
                            leftMargin=10 * mm, rightMargin=10 * mm, topMargin=10 * mm, bottomMargin=10 * mm)
    story = [Paragraph(escape(title), styles["Title"])]
    if data:
        table = Table(data, colWidths=[85 * mm] + [thumb_w + 2 * mm] * THUMBS_PER_ROW, repeatRows=0)
        table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                                   ("LINEBELOW", (0, 0), (-1, -1), 0.25, colors.grey)]))
        story.append(table)
    doc.build(story)


def png_pages(path: Path, rows: int) -> list[Path]:
    """The files a PNG sheet of `rows` clips is written to: PATH, then PATH-2, PATH-3…"""
    n = max(1, -(-rows // ROWS_PER_PNG))
    return [path] + [path.with_name(f"{path.stem}-{i}{path.suffix}") for i in range(2, n + 1)]


def _png(rows: list[SheetRow], path: Path, title: str) -> list[Path]:
    pages = png_pages(path, len(rows))
    for i, page in enumerate(pages):
        part = f"{title} ({i + 1}/{len(pages)})" if len(pages) > 1 else title
        _png_page(rows[i * ROWS_PER_PNG:(i + 1) * ROWS_PER_PNG], page, part)
    return pages


def _png_page(rows: list[SheetRow], path: Path, title: str) -> None:
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.load_default(size=14)
    bold = ImageFont.load_default(size=16)
    thumb_w, text_w, pad = 240, 360, 12
    row_h = max(190, 22 * 9)
    width = text_w + THUMBS_PER_ROW * (thumb_w + pad) + pad
    height = 60 + row_h * max(1, len(rows))
    sheet = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(sheet)
    draw.text((pad, 16), title, fill="black", font=ImageFont.load_default(size=22))
    for i, r in enumerate(rows):
        top = 60 + i * row_h
        draw.line([(0, top), (width, top)], fill=(180, 180, 180))
        draw.text((pad, top + pad), r.name, fill="black", font=bold)
        for j, fact in enumerate(r.facts):
            draw.text((pad, top + pad + 24 + j * 19), fact, fill=(40, 40, 40), font=font)
        for k, p in enumerate(r.thumbnails):
            with Image.open(p) as im:
                im = im.convert("RGB")
                im.thumbnail((thumb_w, row_h - 2 * pad))
                sheet.paste(im, (text_w + k * (thumb_w + pad), top + pad))
    sheet.save(path, format="PNG")
