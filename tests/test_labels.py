"""Tags and collections through `vcat-core tag …` / `collection …`, on a real SQLite catalog."""

from __future__ import annotations

from pathlib import Path

import pytest

from vcat_core.models import ClipFilter
from vcat_core.store.catalog import CatalogStore

from .helpers import run_cli
from .test_store import analysis


class Cat:
    """A catalog folder plus the store URL (SQLite inside the folder, or a Postgres database)."""

    def __init__(self, folder: Path, url: str | None):
        self.folder, self.url = folder, url

    def store(self) -> CatalogStore:
        return CatalogStore.open_dir(self.folder, self.url)

    def cli(self, *args: str):
        return run_cli(self.folder, *args, **({"VCAT_DATABASE_URL": self.url} if self.url else {}))


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request, tmp_path: Path) -> Cat:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    cat = Cat(tmp_path / "catalog", url)
    store = cat.store()
    for i, name in enumerate(["beach.mp4", "interview_a.mov", "interview_b.mov"]):
        store.save_analysis(analysis(f"/footage/{name}", f"d{i}"))
    store.close()
    return cat


def test_change_counter_moves_with_every_write(catalog: Cat):
    from vcat_core.store import labels

    store = catalog.store()
    before = store.change_counter()
    assert before >= 3  # three clips saved by the fixture
    labels.add_tags(store, [1], ["x"])
    labels.create_collection(store, "c")
    store.save_analysis(analysis("/footage/new.mp4", "d9"))
    assert store.change_counter() == before + 3


def test_tags(catalog: Cat):
    assert catalog.cli("tag", "add", "Interview, Sit-down", "2", "/footage/interview_b.mov").code == 0
    assert catalog.cli("tag", "add", "interview", "2").code == 0  # idempotent
    tags = {t["tag"]: t["clips"] for t in catalog.cli("tag", "list", "--json").json()}
    assert tags == {"interview": 2, "sit-down": 2}
    assert [t["tag"] for t in catalog.cli("tag", "list", "2", "--json").json()] == ["interview", "sit-down"]
    assert catalog.cli("tag", "remove", "sit-down", "2", "3").code == 0
    assert {t["tag"] for t in catalog.cli("tag", "list", "--json").json()} == {"interview"}
    bad = catalog.cli("tag", "add", "x", "999")
    assert bad.code == 1 and "no clip matches '999'" in bad.stderr
    docs = catalog.cli("export").json()
    assert {d["file_name"]: d["tags"] for d in docs}["interview_a.mov"] == ["interview"]
    store = catalog.store()
    assert [c.name for c in store.list_clips(ClipFilter(tags=["Interview"]))] == ["interview_a.mov",
                                                                                  "interview_b.mov"]
    assert [c.name for c in store.list_clips(ClipFilter(text="interview b"))] == ["interview_b.mov"]
    assert [c.name for c in store.list_clips(ClipFilter(text="sony beach"))] == ["beach.mp4"]


def test_collections(catalog: Cat):
    assert catalog.cli("collection", "create", "Selects", "--description", "best takes").code == 0
    dup = catalog.cli("collection", "create", "Selects")
    assert dup.code == 1 and "already exists" in dup.stderr
    assert catalog.cli("collection", "add", "Selects", "3", "1", "3").code == 0
    shown = catalog.cli("collection", "show", "Selects", "--json").json()
    assert [d["file_name"] for d in shown] == ["interview_b.mov", "beach.mp4"]  # order added, no repeats
    assert catalog.cli("collection", "rename", "Selects", "Day 1 selects").code == 0
    assert catalog.cli("collection", "remove", "Day 1 selects", "1").code == 0
    listed = catalog.cli("collection", "list", "--json").json()
    assert listed == [{"name": "Day 1 selects", "description": "best takes", "clips": 1,
                       "created_at": listed[0]["created_at"]}]
    store = catalog.store()
    assert [c.name for c in store.list_clips(ClipFilter(collection="Day 1 selects"))] == ["interview_b.mov"]
    assert catalog.cli("collection", "delete", "Day 1 selects").code == 0
    assert catalog.cli("collection", "show", "Day 1 selects").code == 1
    assert store.count_clips() == 3  # clips stay
