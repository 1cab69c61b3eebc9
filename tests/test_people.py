"""Issue 15, people: faces found on real photographs and footage (shipped in installed packages), grouped into
people across clips, named once and found everywhere — through the real CLI on SQLite and Postgres."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import face_media
from .helpers import run_cli, snapshot_tree
from .test_rls import _sql, team  # noqa: F401 - the fixture

NO_AUDIO = ("--skip-audio", "--skip-ai", "--thumbnails", "6")


@pytest.fixture(scope="module")
def people_src(tmp_path_factory) -> Path:
    src = tmp_path_factory.mktemp("people_src")
    face_media.make_people_clips(src)
    return src


@pytest.fixture(scope="module")
def catalog(people_src, tmp_path_factory) -> Path:
    cat = tmp_path_factory.mktemp("people_cat") / "catalog"
    before = snapshot_tree(people_src)
    res = run_cli(cat, "ingest", str(people_src), "--json", *NO_AUDIO)
    assert res.code == 0, res.stderr
    assert snapshot_tree(people_src) == before  # originals untouched
    return cat


@pytest.fixture(scope="module")
def seen(catalog) -> dict[str, set[int]]:
    """Who was found in which clip right after the ingest."""
    return _people_of_clips(catalog)


def _people_of_clips(cat: Path, **env: str) -> dict[str, set[int]]:
    """{clip file name: ids of the people seen in it} (clips without anyone are left out)."""
    out: dict[str, set[int]] = {}
    for person in run_cli(cat, "people", "list", "--json", **env).json():
        for clip in run_cli(cat, "people", "show", str(person["id"]), "--json", **env).json()["seen_in"]:
            out.setdefault(clip["name"], set()).add(person["id"])
    return out


def test_one_person_across_two_clips_and_people_apart(catalog, seen):
    assert "empty.mp4" not in seen
    assert len(seen["car_a.mp4"]) == 1 and seen["car_a.mp4"] == seen["car_b.mp4"]  # the same man, other frames
    carphone, hopper, astronaut = (next(iter(seen[c])) for c in ("car_a.mp4", "hopper.mp4", "astronaut.mp4"))
    assert len({carphone, hopper, astronaut}) == 3  # three people, kept apart
    assert seen["hopper_and_astronaut.mp4"] == {hopper, astronaut}  # both found again in one frame
    precision, recall = face_media.clustering_figures(seen)
    assert (precision, recall) == (1.0, 1.0)
    listed = run_cli(catalog, "people", "list", "--json").json()
    assert {p["id"] for p in listed} == {carphone, hopper, astronaut}
    by_id = {p["id"]: p for p in listed}
    assert by_id[hopper]["clips"] == 2 and by_id[carphone]["clips"] == 2
    for p in listed:  # a face thumbnail per person, an aligned crop under <catalog>/faces/
        assert p["thumbnail"] and Path(p["thumbnail"]).is_file() and "/faces/" in p["thumbnail"]


def test_name_once_find_everywhere(catalog, seen):
    hopper = next(iter(seen["hopper.mp4"]))
    res = run_cli(catalog, "people", "name", str(hopper), "Grace Hopper")
    assert res.code == 0 and "Grace Hopper" in res.stdout, res.stderr
    listed = [d["file_name"] for d in run_cli(catalog, "list", "--person", "grace hopper", "--json").json()]
    keyed = run_cli(catalog, "search", 'person:"Grace Hopper"', "--json").json()
    assert sorted(h["clip"]["name"] for h in keyed["hits"]) == sorted(listed)
    assert sorted(listed) == ["hopper.mp4", "hopper_and_astronaut.mp4"]
    # the search reads the name from the phrase, and each hit points at when her face is seen
    found = run_cli(catalog, "search", "clips with Grace Hopper", "--json").json()
    assert found["filters"]["person"].lower() == "grace hopper"
    assert sorted(h["clip"]["name"] for h in found["hits"]) == ["hopper.mp4", "hopper_and_astronaut.mp4"]
    for h in found["hits"]:
        assert h["moment"]["kind"] == "face" and h["moment"]["face_times"]
        assert 0.0 <= h["moment"]["start_seconds"] <= 2.0
    # a name nobody was given is not a filter: it stays in the meaning search
    other = run_cli(catalog, "search", "clips with Maria", "--json").json()
    assert "person" not in other["filters"]
    show = run_cli(catalog, "people", "show", "grace hopper", "--json").json()
    assert sorted(c["name"] for c in show["seen_in"]) == ["hopper.mp4", "hopper_and_astronaut.mp4"]


def test_new_clips_join_people_incrementally_and_names_survive(catalog, seen, people_src, tmp_path):
    carphone = next(iter(seen["car_a.mp4"]))
    assert run_cli(catalog, "people", "name", str(carphone), "Carphone Man").code == 0
    before = {p["id"] for p in run_cli(catalog, "people", "list", "--json").json()}
    more = tmp_path / "more"
    more.mkdir()
    frames = face_media.carphone_frames()
    face_media.write(more / "car_again.mp4", [face_media.fit(f[:, ::-1].copy()) for f in frames[20:70]])  # mirrored
    res = run_cli(catalog, "ingest", str(more), "--json", *NO_AUDIO)
    assert res.code == 0, res.stderr
    after = run_cli(catalog, "people", "list", "--json").json()
    assert {p["id"] for p in after} == before  # no new person: the new clip's face joined his group
    assert next(p for p in after if p["id"] == carphone)["clips"] == 3
    # re-analysing a clip keeps the name (the faces are replaced, the person stays)
    res = run_cli(catalog, "ingest", str(people_src / "car_a.mp4"), "--force", "--json", *NO_AUDIO)
    assert res.code == 0, res.stderr
    names = [d["file_name"] for d in run_cli(catalog, "list", "--person", "Carphone Man", "--json").json()]
    assert sorted(names) == ["car_a.mp4", "car_again.mp4", "car_b.mp4"]


def test_merge_split_and_forget(catalog, seen, tmp_path):
    cat = tmp_path / "catalog"
    shutil.copytree(catalog, cat)  # a copy: merging and forgetting would disturb the other tests
    hopper, astronaut = next(iter(seen["hopper.mp4"])), next(iter(seen["astronaut.mp4"]))
    res = run_cli(cat, "people", "merge", str(hopper), str(astronaut))
    assert res.code == 0, res.stderr
    merged = {p["id"]: p for p in run_cli(cat, "people", "list", "--json").json()}
    assert astronaut not in merged and merged[hopper]["clips"] == 3
    # split her clip back out
    astro_clip = next(d["id"] for d in run_cli(cat, "export").json() if d["file_name"] == "astronaut.mp4")
    res = run_cli(cat, "people", "split", str(hopper), "--clip", str(astro_clip), "--json")
    assert res.code == 0, res.stderr
    new_id = res.json()["new_id"]
    after = {p["id"]: p for p in run_cli(cat, "people", "list", "--json").json()}
    assert after[new_id]["clips"] == 1 and after[hopper]["clips"] == 2
    # without a choice, split parts the faces least like the rest: the two-people clip's faces were merged too
    run_cli(cat, "people", "merge", str(hopper), str(new_id))
    res = run_cli(cat, "people", "split", str(hopper), "--json")
    assert res.code == 0 and res.json()["faces_moved"] in (2, 3), res.stdout + res.stderr
    assert run_cli(cat, "people", "split", "#999").code == 1  # no such person: a sentence, not a traceback
    # forget: every face vector, person and crop goes
    res = run_cli(cat, "people", "forget", "--yes")
    assert res.code == 0 and "deleted" in res.stdout, res.stderr
    assert run_cli(cat, "people", "list", "--json").json() == []
    assert not (cat / "faces").exists()
    assert run_cli(cat, "list", "--person", "grace hopper", "--json").json() == []


def test_face_analysis_setting_off(people_src, tmp_path):
    cat = tmp_path / "catalog"
    res = run_cli(cat, "ingest", str(people_src / "hopper.mp4"), "--json", *NO_AUDIO, VCAT_FACE_ANALYSIS="false")
    assert res.code == 0, res.stderr
    assert not any(e.get("stage") == "faces" for e in res.events())
    assert run_cli(cat, "people", "list", "--json").json() == []
    # switched on later (or a catalog made before people existed): the next ingest looks for faces on the stored
    # thumbnails; nothing is decoded again, the thumbnails stay as they were
    thumbs = {p: p.stat().st_mtime_ns for p in (cat / "thumbnails").rglob("*.jpg")}
    res = run_cli(cat, "ingest", str(people_src / "hopper.mp4"), "--json", *NO_AUDIO)
    assert res.code == 0, res.stderr
    assert {e["stage"] for e in res.events() if e.get("kind") == "stage_started"} == {"faces"}
    assert {p: p.stat().st_mtime_ns for p in (cat / "thumbnails").rglob("*.jpg")} == thumbs
    assert len(run_cli(cat, "people", "list", "--json").json()) == 1


def test_postgres_members_see_faces_of_clips_they_see(postgres_url, team, people_src, tmp_path):  # noqa: F811
    alice, alice_url = team["alice"]
    bob, bob_url = team["bob"]
    urls = {"admin": postgres_url, "alice": alice_url, "bob": bob_url}

    def cli(who: str, *args: str):
        return run_cli(tmp_path / who, *args, VCAT_DATABASE_URL=urls[who])

    assert cli("admin", "schema", "apply").code == 0
    for role in (alice, bob):
        assert cli("admin", "schema", "grant", role).code == 0
    mine, his = tmp_path / "alice-footage", tmp_path / "bob-footage"
    mine.mkdir(), his.mkdir()
    for name in ("car_a.mp4", "car_b.mp4"):
        shutil.copy(people_src / name, mine / name)
    shutil.copy(people_src / "hopper.mp4", his / "hopper.mp4")
    assert cli("alice", "ingest", str(mine), "--workers", "1", *NO_AUDIO).code == 0
    assert cli("bob", "ingest", str(his), "--workers", "1", *NO_AUDIO).code == 0
    # alice: one person across her two clips; bob sees neither her faces nor her people
    hers = cli("alice", "people", "list", "--json").json()
    assert [p["clips"] for p in hers] == [2]
    assert cli("alice", "people", "name", str(hers[0]["id"]), "Carphone Man").code == 0
    assert [p["clips"] for p in cli("bob", "people", "list", "--json").json()] == [1]
    assert _sql(bob_url, "SELECT count(*) FROM faces")[0] == [(1,)]
    assert _sql(bob_url, "SELECT count(*) FROM people WHERE name = 'Carphone Man'")[0] == [(0,)]
    assert cli("bob", "search", "clips with Carphone Man", "--json").json()["hits"] == []
    # shared through a project, her clips' faces (and the name) become his to see
    assert cli("alice", "project", "create", "shoot", "--member", bob).code == 0
    ids = [str(r[0]) for r in _sql(alice_url, "SELECT id FROM clips")[0]]
    assert cli("alice", "project", "assign", "shoot", *ids).code == 0
    names = sorted(d["file_name"] for d in cli("bob", "list", "--person", "Carphone Man", "--json").json())
    assert names == ["car_a.mp4", "car_b.mp4"]
    # the admin sees every face; face vectors never reach the text embeddings
    assert _sql(postgres_url, "SELECT count(*) FROM faces")[0] == [(3,)]
    assert _sql(postgres_url, "SELECT count(*) FROM embeddings")[0] == [(0,)]


def test_shot_type_sees_faces_the_cascade_missed():
    """A person filmed wide: her face is a tenth of the frame's height. The cascade alone finds nothing
    (`unknown`); with dlib's detector the frame is told apart (shot type from the face's size)."""
    import cv2
    import numpy as np

    from vcat_core.pipeline import faces
    from vcat_core.pipeline.vision.shot_type import shot_type

    canvas = np.full((720, 1280, 3), 110, np.uint8)
    portrait = cv2.resize(face_media.hopper(), (154, 180))
    canvas[400:580, 600:754] = portrait
    frame = cv2.resize(canvas, (640, 360), interpolation=cv2.INTER_AREA)
    assert shot_type(frame) == ("unknown", None, 0)
    kind, ratio, count = shot_type(frame, [box for box, _ in faces.detect(frame)])
    assert count == 1 and kind in ("wide", "medium") and 0.08 <= ratio <= 0.12


def test_grouping_follows_edits_made_between_clips(tmp_path):
    """The store keeps every person's mean face between clips; a split made meanwhile (here in the same process,
    as the TUI would) is seen by the next clip's faces, and a clip re-analysed takes its faces out of the means;
    a merge keeps both groups' means, so faces like either join the merged person."""
    import numpy as np
    from sqlmodel import Session

    from vcat_core.models import FaceSeen, FacesResult
    from vcat_core.store import people
    from vcat_core.store.catalog import CatalogStore

    from .test_tui_catalogs import build_demo_catalog

    store = CatalogStore.open_dir(build_demo_catalog(tmp_path / "catalog"))
    try:
        listed = {p["name"]: p for p in people.list_people(store)}
        other = listed[None]["id"]
        with Session(store.engine) as s:
            centre = {pid: np.asarray(c, np.float32) for pid, c in s.execute(
                people.select(people.P.id, people.P.centroid))}

        def store_face(clip_id: int, near: int) -> int:
            face = FaceSeen(time_seconds=1.0, frame_index=0, box=[0, 0, 80, 80], frame_width=640, frame_height=360,
                            score=1.0, vector=(centre[near] + 0.01).tolist())
            with store.writer.begin() as conn, Session(bind=conn) as s:
                people.write_faces(s, clip_id, FacesResult(faces=[face]))
            return next(p["id"] for p in people.clip_people(store, clip_id))

        assert store_face(7, near=other) == other
        split = people.split_person(store, str(other), clip_ids=[7])["new_id"]  # that face alone: a new person
        assert store_face(8, near=other) == split  # exactly its face: the split was seen, no stale means
        before = {p["id"]: p["faces"] for p in people.list_people(store)}
        assert store_face(8, near=other) == split  # the same clip again: its old face is replaced, not added
        assert {p["id"]: p["faces"] for p in people.list_people(store)} == before
        # merging two groups that look unalike (one person, years apart): a face like either joins the merge
        maria = listed["Maria Lopez"]["id"]
        people.merge_people(store, [str(maria), str(other), str(split)])
        assert store_face(9, near=other) == maria and store_face(10, near=maria) == maria
        assert [p["id"] for p in people.list_people(store)] == [maria]
        assert people.person_detail(store, str(other))["id"] == maria  # the old id answers as the merged person
        # and split again (the faces like the other group's): its look-alikes go with that side
        parted = people.split_person(store, str(maria), clip_ids=[1, 2, 5, 7, 8, 9])["new_id"]
        assert store_face(11, near=other) == parted and store_face(12, near=maria) == maria
    finally:
        store.close()
