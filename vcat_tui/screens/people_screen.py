"""People: everyone the faces were grouped into (left, most often seen first), the highlighted person's face and
the clips they are seen in (right). Name a person once (`n`), join two groups of one person (`m`), part a group
that holds two people (`S`); enter on a clip opens it, and the clip keys (tag, collect, play…) work on the list."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from vcat_core.errors import VcatError
from vcat_core.models import ClipFilter

from .. import format as fmt
from ..messages import ClipChosen, LabelsApplied
from ..sources import CatalogSource
from ..widgets.clip_table import ClipTable
from ..widgets.mode_bar import ModeBar
from ..widgets.thumbnail import Thumbnail
from .clip_actions import CLIP_BINDINGS, ClipActions
from .detail_screen import DetailScreen
from .list_and_clips import ListAndClips
from .prompt_screen import PromptScreen


def person_label(p: dict) -> str:
    return p["name"] or f"Person #{p['id']}"


class PeopleScreen(ListAndClips, ClipActions, Screen):
    LIST_ID, TABLE_ID = "people-list", "person-clips"
    BINDINGS = [
        Binding("n", "name_person", "Name"),
        Binding("m", "merge_person", "Merge into…"),
        Binding("S", "split_person", "Split"),
        Binding("tab", "switch_pane", "Switch pane", show=False),
        *CLIP_BINDINGS,
    ]

    class _Listed(Message, bubble=False):
        def __init__(self, people: list[dict]) -> None:
            super().__init__()
            self.people = people

    class _Face(Message, bubble=False):
        def __init__(self, person_id: int, image: Image.Image | None) -> None:
            super().__init__()
            self.person_id, self.image = person_id, image

    def __init__(self) -> None:
        super().__init__()
        self.people: list[dict] = []
        self.current: int | None = None
        self._seen_version = -1

    def compose(self) -> ComposeResult:
        yield ModeBar("people")
        yield Static("People", id="people-title", classes="screen-title")
        with Horizontal(id="people-body"):
            with Vertical(id="people-side"):
                yield OptionList(id="people-list")
            with Vertical(id="people-main"):
                with Horizontal(id="people-head"):
                    yield Thumbnail("no face", id="people-face")
                    yield Static("", id="person-info")
                yield ClipTable(id="person-clips", empty_text="No clips.")
        yield Footer()

    def reload_clips(self) -> None:
        self._seen_version = self.app.catalog_version
        self._list()

    @work(thread=True, group="people", exclusive=True, exit_on_error=False)
    def _list(self) -> None:
        self.post_message(self._Listed(self.app.catalog.list_people()))

    @on(_Listed)
    def _listed(self, msg: _Listed) -> None:
        self.people = msg.people
        keep = self.current
        options = self.options
        options.clear_options()
        options.add_options([Option(f"{person_label(p)}  ({fmt.plural(p['clips'], 'clip')})", id=str(p["id"]))
                             for p in msg.people])
        self.query_one("#people-title", Static).update("People · " + fmt.plural(len(msg.people), "person", "people"))
        if not msg.people:
            self.current = None
            self.query_one("#person-info", Static).update(
                "No faces found yet: ingest footage with people in it (setting face_analysis).")
            self.table.clear("Nobody to show.")
            return
        ids = [p["id"] for p in msg.people]
        index = ids.index(keep) if keep in ids else 0
        options.highlighted = index
        self._show(ids[index])

    @on(OptionList.OptionHighlighted, "#people-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        person_id = int(str(event.option.id))
        if person_id != self.current:
            self._show(person_id)

    @on(OptionList.OptionSelected, "#people-list")
    def _selected(self) -> None:
        self.table.focus()

    def _person(self, person_id: int | None) -> dict | None:
        return next((p for p in self.people if p["id"] == person_id), None)

    def _show(self, person_id: int) -> None:
        self.current = person_id
        p = self._person(person_id)
        if p is None:
            return
        self.query_one("#person-info", Static).update(
            f"{person_label(p)}\n{fmt.plural(p['clips'], 'clip')} · {fmt.plural(p['faces'], 'face')} seen\n"
            "n name · m merge into another · S split")
        self._load_face(person_id, p.get("thumbnail"))
        self.table.load(CatalogSource(self.app.catalog, ClipFilter(person=f"#{person_id}")))

    @work(thread=True, group="people-face", exclusive=True, exit_on_error=False)
    def _load_face(self, person_id: int, rel: str | None) -> None:
        image = None
        if rel:
            path = Path(self.app.catalog.settings.catalog) / rel
            try:
                with Image.open(path) as img:
                    image = img.convert("RGB")
            except OSError:
                image = None
        self.post_message(self._Face(person_id, image))

    @on(_Face)
    def _face(self, msg: _Face) -> None:
        if msg.person_id == self.current:
            self.query_one("#people-face", Thumbnail).show(msg.image, None if msg.image else "no face")

    @on(ClipChosen)
    def _chosen(self, msg: ClipChosen) -> None:
        self.app.push_screen(DetailScreen(msg.clip.id))

    # ---- a person's decisions ----------------------------------------------------------------------------------

    def action_name_person(self) -> None:
        p = self._person(self.current)
        if p is None:
            self.notify("Nobody to name.", severity="warning")
            return

        def named(name: str | None) -> None:
            if name and name != p["name"]:
                self._edit("name", str(p["id"]), name)

        self.app.push_screen(PromptScreen(f"Name {person_label(p)}", value=p["name"] or "",
                                          placeholder="name"), named)

    def action_merge_person(self) -> None:
        p = self._person(self.current)
        if p is None:
            self.notify("Nobody to merge.", severity="warning")
            return

        def merge(other: str | None) -> None:
            if other:
                self._edit("merge", other.strip(), str(p["id"]))

        self.app.push_screen(PromptScreen(f"Merge {person_label(p)} into (name or id)", placeholder="name or #id"),
                             merge)

    def action_split_person(self) -> None:
        if self.current is None:
            self.notify("Nobody to split.", severity="warning")
            return
        self._edit("split", str(self.current))

    @work(thread=True, group="people-edit", exit_on_error=False)
    def _edit(self, what: str, ref: str, other: str | None = None) -> None:
        catalog = self.app.catalog
        try:
            if what == "name":
                r = catalog.name_person(ref, other or "")
                text = f"Named {r['name']}" + (" (merged with the other one of that name)" if r["merged"] else "")
            elif what == "merge":
                r = catalog.merge_people([ref, other or ""])
                self.current = r["id"]
                text = f"Merged into #{r['id']}"
            else:
                r = catalog.split_person(ref)
                text = f"Moved {fmt.plural(r['faces_moved'], 'face')} to new person #{r['new_id']}"
        except VcatError as exc:
            self.post_message(LabelsApplied(str(exc), error=True))
            return
        self.post_message(LabelsApplied(text))
