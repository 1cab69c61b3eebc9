"""`vcat` inside real terminal emulators under Xvfb: xterm as a VT340 (Sixel) and kitty (its graphics protocol,
software OpenGL). For each: the terminal's answer to vcat's detection must name its graphics, and a screenshot of
the X screen must hold the thumbnail's picture where the app draws it, fine detail included — which half-cell blocks
cannot reproduce (the same check on xterm with `--images halfcell` must fail: the test can tell them apart).

The thumbnail is a test card: a magenta frame (found in the screenshot), a colour gradient, and a band of 3-pixel
stripes. Screenshots go to $VCAT_TEST_ARTIFACTS (default tests/artifacts/, git-ignored).

Needs Xvfb, xterm, kitty, ImageMagick's `import` and xdotool (scripts/setup.sh installs them); skipped with the
reason only where they are missing or the emulator cannot start.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from vcat_core.store.catalog import CatalogStore

from .helpers import cli_env
from .test_store import analysis

ARTIFACTS = Path(os.environ.get("VCAT_TEST_ARTIFACTS") or Path(__file__).resolve().parent / "artifacts")
VCAT = str(Path(sys.executable).with_name("vcat"))
TOOLS = ("Xvfb", "import", "xdotool")
SCREEN = (1280, 800)
MAGENTA = (255, 0, 255)


def card_image(width: int, height: int) -> Image.Image:
    """Gradient + a band of 3-px (at 320 px wide) black/white stripes + a magenta frame."""
    y, x = np.mgrid[0:height, 0:width]
    img = np.zeros((height, width, 3), np.uint8)
    img[..., 0] = x * 255 // (width - 1)
    img[..., 1] = y * 255 // (height - 1)
    img[..., 2] = 128
    band = (y > height * 0.35) & (y < height * 0.65)
    stripes = ((x * 320 // width) // 3) % 2 == 0
    img[band & stripes] = 255
    img[band & ~stripes] = 0
    b = max(width // 40, 2)
    img[:b, :] = img[-b:, :] = MAGENTA
    img[:, :b] = img[:, -b:] = MAGENTA
    return Image.fromarray(img)


def build_catalog(folder: Path) -> Path:
    """One clip whose thumbnails are the test card (every frame, every size)."""
    store = CatalogStore.open_dir(folder)
    store.save_analysis(analysis("/footage/test_card.mov", "c0ffee"))
    store.close()
    for w in (160, 320):
        for i in range(3):
            path = folder / "thumbnails" / "c0ffee" / f"{i:03d}_{w}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            card_image(w, w * 9 // 16).save(path, quality=95)
    return folder


class XServer:
    """Xvfb on a free display (it picks the number: -displayfd)."""

    def __init__(self) -> None:
        read, write = os.pipe()
        self.proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{SCREEN[0]}x{SCREEN[1]}x24",
                                      "-nolisten", "tcp"], pass_fds=(write,), stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        os.close(write)
        with os.fdopen(read) as fh:
            number = fh.readline().strip()
        if not number:
            self.proc.kill()
            raise RuntimeError("Xvfb did not start")
        self.display = f":{number}"

    def env(self, **extra: str) -> dict[str, str]:
        return {**os.environ, "DISPLAY": self.display, **extra}

    def screenshot(self, path: Path) -> Image.Image:
        subprocess.run(["import", "-display", self.display, "-window", "root", str(path)], check=True,
                       capture_output=True, timeout=30)
        return Image.open(path).convert("RGB")

    def keys(self, *keys: str) -> None:
        """Keystrokes through XTEST to the window under the pointer (no window manager: focus follows it)."""
        subprocess.run(["xdotool", "mousemove", "200", "200"], env=self.env(), check=True, timeout=10)
        for key in keys:
            subprocess.run(["xdotool", "key", key], env=self.env(), check=True, timeout=10)
            time.sleep(0.3)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def xserver():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.skip(f"cannot run real terminals here: {', '.join(missing)} not installed (scripts/setup.sh)")
    server = XServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> Path:
    return build_catalog(tmp_path_factory.mktemp("real-terminal") / "catalog")


TERMINALS = {
    # xterm answers DA1 with "4" (Sixel) only as a VT340; 1024 colour registers for a faithful picture
    "xterm": lambda cmd: ["xterm", "-ti", "vt340", "-xrm", "XTerm*numColorRegisters: 1024", "-geometry", "120x36",
                          "-fa", "Monospace", "-fs", "8", "-e", *cmd],
    "kitty": lambda cmd: ["kitty", "-o", "remember_window_size=no", "-o", "initial_window_width=1200",
                          "-o", "initial_window_height=760", "-o", "font_size=9", *cmd],
}


def expected_mode(terminal: str) -> str:
    """xterm as a VT340: Sixel. kitty: its graphics protocol from 0.28 (Unicode placeholders, which textual-image
    draws with); older kittys (Debian 12: 0.26.5) must fall back to half cells."""
    if terminal == "xterm":
        return "sixel"
    out = subprocess.run(["kitty", "--version"], capture_output=True, text=True, timeout=30).stdout
    version = tuple(int(x) for x in out.split()[1].split(".")[:2])
    return "tgp" if version >= (0, 28) else "halfcell"


class Session:
    """A terminal running the detection probe, then `vcat` on the catalog."""

    def __init__(self, xserver: XServer, terminal: str, catalog: Path, tmp: Path, images: str = "auto") -> None:
        if shutil.which(terminal) is None:
            pytest.skip(f"{terminal} is not installed (scripts/setup.sh installs it)")
        self.mode_file = tmp / f"{terminal}-{images}-mode.txt"
        probe = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r}); "
                 f"from vcat_tui import images; m = images.prepare('auto'); v = images.terminal_version(); "
                 f"open({str(self.mode_file)!r}, 'w').write(f'{{m}} {{v}}')")
        script = f"{sys.executable} -c {_sh(probe)}; exec {VCAT} --catalog {catalog} --images {images}"
        env = xserver.env(**{k: v for k, v in cli_env(catalog).items() if k.startswith("VCAT_")},
                          LIBGL_ALWAYS_SOFTWARE="1", TERM_PROGRAM="", COLORTERM="truecolor")
        env.pop("NO_COLOR", None)
        self.log = (tmp / f"{terminal}.log").open("w")
        self.proc = subprocess.Popen(TERMINALS[terminal](["bash", "-c", script]), env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.terminal = terminal

    def detected(self, timeout: float = 30) -> tuple[str, str]:
        """(the image mode vcat chose, the terminal's XTVERSION answer)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None and not self.mode_file.exists():
                pytest.skip(f"{self.terminal} could not start under Xvfb (exit {self.proc.returncode}; see its log)")
            if self.mode_file.exists() and self.mode_file.read_text():
                mode, _, version = self.mode_file.read_text().partition(" ")
                return mode, version
            time.sleep(0.2)
        pytest.skip(f"{self.terminal} did not start under Xvfb within {timeout:.0f} s")

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
        self.log.close()


def _sh(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def find_card(shot: Image.Image) -> tuple[int, int, int, int] | None:
    """The bounding box of the magenta frame in a screenshot, or None."""
    a = np.asarray(shot).astype(int)
    mask = (a[..., 0] > 200) & (a[..., 1] < 70) & (a[..., 2] > 200)
    if mask.sum() < 200:
        return None
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def likeness(shot: Image.Image, box: tuple[int, int, int, int]) -> dict[str, float]:
    """How much the screenshot's card looks like the card: correlation (grey levels) of the whole picture, of the
    stripe band alone (fine detail) and of the gradient around it (coarse), and the mean colour difference."""
    crop = shot.crop(box)
    ref = card_image(320, 180).resize(crop.size, Image.Resampling.BOX)
    a, b = np.asarray(crop).astype(float), np.asarray(ref).astype(float)
    h = a.shape[0]
    band = slice(int(h * 0.4), int(h * 0.6))

    def corr(x: np.ndarray, y: np.ndarray) -> float:
        x, y = x.mean(axis=-1).ravel(), y.mean(axis=-1).ravel()
        return float(np.corrcoef(x, y)[0, 1]) if x.std() > 0 and y.std() > 0 else 0.0

    coarse = np.r_[0:int(h * 0.3), int(h * 0.7):h]  # the gradient above and below the stripes
    return {"picture": corr(a, b), "fine_detail": corr(a[band], b[band]), "coarse": corr(a[coarse], b[coarse]),
            "colour_error": float(np.abs(a - b).mean()),
            "width": float(crop.width), "height": float(crop.height)}


def wait_for_card(xserver: XServer, path: Path, timeout: float = 30) -> tuple[Image.Image, tuple | None]:
    end = time.monotonic() + timeout
    shot, box = None, None
    while time.monotonic() < end:
        time.sleep(1.0)
        shot = xserver.screenshot(path)
        box = find_card(shot)
        if box is not None and box[2] - box[0] > 60:
            time.sleep(1.0)  # let the terminal finish drawing
            shot = xserver.screenshot(path)
            return shot, find_card(shot)
    return shot, box


@pytest.mark.parametrize("terminal", ["xterm", "kitty"])
def test_thumbnails_are_real_pictures(terminal: str, xserver: XServer, catalog: Path, tmp_path: Path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = Session(xserver, terminal, catalog, tmp_path)
    try:
        mode, version = session.detected()
        assert mode == expected_mode(terminal), f"{terminal} ({version}): vcat chose {mode!r}"
        shot, box = wait_for_card(xserver, ARTIFACTS / f"{terminal}-{mode}-browse.png")
        assert box is not None, f"{terminal}: no thumbnail on screen (see {ARTIFACTS}/{terminal}-{mode}-browse.png)"
        seen = likeness(shot, box)
        print(f"{terminal} ({version}) {mode}: {seen}")
        if mode == "halfcell":  # the fallback: the picture in blocks, its fine detail lost
            assert seen["coarse"] > 0.8 and seen["fine_detail"] < 0.6, seen
        else:
            # fine detail is what tells pictures from blocks (xterm/Sixel ~0.97, half cells ~0.01); the whole
            # picture correlates less (xterm ~0.83) because Sixel's 256 dithered colours speckle the gradient
            assert seen["picture"] > 0.7 and seen["fine_detail"] > 0.8 and seen["colour_error"] < 35, seen
        xserver.keys("g")  # the grid draws its thumbnails the same way
        time.sleep(2.0)
        grid = xserver.screenshot(ARTIFACTS / f"{terminal}-{mode}-grid.png")
        if mode != "halfcell":  # (half cells blend the thin frame at grid size)
            box = find_card(grid)
            assert box is not None, f"{terminal}: no thumbnail in the grid"
            assert likeness(grid, box)["picture"] > 0.5, likeness(grid, box)  # a small picture: Sixel dithers
    finally:
        session.close()


def test_half_cells_fail_the_picture_check(xserver: XServer, catalog: Path, tmp_path: Path):
    """The negative control: the same app in the same xterm, forced to half-cell blocks, does not pass."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    session = Session(xserver, "xterm", catalog, tmp_path, images="halfcell")
    try:
        session.detected()
        shot, box = wait_for_card(xserver, ARTIFACTS / "xterm-halfcell-browse.png")
        assert box is not None
        assert likeness(shot, box)["fine_detail"] < 0.6
    finally:
        session.close()
