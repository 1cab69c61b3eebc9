"""`vcat-core rate|pick|reject|unflag|label`: culling from the shell, the same service calls the TUI's keys make;
and the `--rating/--picks/--rejects/--unflagged/--label` filters of `list`, `export` and `search`."""

from __future__ import annotations

import typer

from ..errors import VcatError
from ..service import LABELS, parse_rating
from .common import fail, open_catalog, out

_clips = typer.Argument(..., help="Clips: ids, paths or checksums.")

rating_opt = typer.Option(None, "--rating", help="Stars: 4, >=4, 4+, <=2, 2-4 or unrated.")
picks_opt = typer.Option(False, "--picks", help="Only clips flagged pick.")
rejects_opt = typer.Option(False, "--rejects", help="Only clips flagged reject.")
unflagged_opt = typer.Option(False, "--unflagged", help="Only clips neither picked nor rejected.")
label_opt = typer.Option(None, "--label", help=f"Colour label: {', '.join(LABELS)} or none.")


def cull_filters(rating: str | None, picks: bool, rejects: bool, unflagged: bool, label: str | None) -> dict:
    """The ClipFilter fields of the culling options (exits with a usage error on a bad value)."""
    values: dict = {}
    if sum((picks, rejects, unflagged)) > 1:
        fail("--picks, --rejects and --unflagged exclude each other")
    try:
        if rating:
            values["min_rating"], values["max_rating"] = parse_rating(rating)
    except VcatError as exc:
        fail(str(exc))
    if picks or rejects or unflagged:
        values["pick"] = "pick" if picks else "reject" if rejects else "unflagged"
    if label:
        if label.lower() not in (*LABELS, "none"):
            fail(f"--label: one of {', '.join(LABELS)} or none, not {label!r}")
        values["label"] = label.lower()
    return values


def stars_text(rating: int, pick: str | None, label: str | None) -> str:
    """`★★★★ pick red` for tables (plain text: also what a pipe gets)."""
    return " ".join(x for x in ("★" * rating, pick, label) if x)


def _apply(what: str, clips: list[str], call) -> None:
    with open_catalog() as cat:
        try:
            ids = cat.resolve_clips(clips)
            n = call(cat, ids)
        except VcatError as exc:
            fail(str(exc), 1)
    out.print(f"{what}: {n} of {len(ids)} clip(s) changed", highlight=False)


def rate(clips: list[str] = _clips,
         stars: int = typer.Argument(..., min=0, max=5, help="0 (no rating) to 5 stars.")) -> None:
    """Rate clips 0-5 stars, e.g. `vcat-core rate 12 /footage/a.mov 4`."""
    _apply(f"rated {stars}", clips, lambda cat, ids: cat.rate(ids, stars))


def pick(clips: list[str] = _clips) -> None:
    """Flag clips as picks."""
    _apply("picked", clips, lambda cat, ids: cat.set_pick(ids, "pick"))


def reject(clips: list[str] = _clips) -> None:
    """Flag clips as rejects."""
    _apply("rejected", clips, lambda cat, ids: cat.set_pick(ids, "reject"))


def unflag(clips: list[str] = _clips) -> None:
    """Clear the pick / reject flag."""
    _apply("unflagged", clips, lambda cat, ids: cat.set_pick(ids, None))


def label(clips: list[str] = _clips,
          color: str = typer.Argument(..., help=f"{', '.join(LABELS)}, or none to clear.")) -> None:
    """Give clips a colour label, e.g. `vcat-core label 12 14 red`."""
    _apply(f"labelled {color.lower()}", clips, lambda cat, ids: cat.set_label(ids, color))


def register(app: typer.Typer) -> None:
    for command in (rate, pick, reject, unflag, label):
        app.command(command.__name__)(command)
