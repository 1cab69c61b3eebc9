"""Which analysis stages a run does: `--focus` and `--skip-*` map onto stage groups here, in one place.

Metadata is the base every clip needs; the groups grow as stages land (vision joins `visual`, the transcript
`audio`, analysis and embeddings `ai`).
"""

from __future__ import annotations

from typing import Literal

from ..errors import ConfigError

GROUPS: dict[str, tuple[str, ...]] = {
    "metadata": ("metadata",),
    "visual": ("thumbnails", "exposure", "vision", "faces"),  # faces: people (setting `face_analysis`)
    "audio": ("transcribe",),  # audio decoded once: transcript, speakers and non-speech events together
    "ai": ("analyze", "embed"),
}
ALL_ANALYSIS = tuple(s for g in GROUPS.values() for s in g)
Focus = Literal["audio", "visual", "metadata"]


DEPTHS: dict[str, tuple[str, ...]] = {
    "quick": ("metadata", "thumbnails", "exposure"),  # technical catalogue only: seconds per clip
    # + image quality, shots, faces, speech
    "standard": ("metadata", "thumbnails", "exposure", "vision", "faces", "transcribe"),
    "full": ALL_ANALYSIS,  # + structured analysis and embeddings for search
}


def select_stages(*, focus: str | None = None, skip_visual: bool = False, skip_audio: bool = False,
                  skip_ai: bool = False, depth: str = "full", faces: bool = True) -> tuple[str, ...]:
    """The analysis stages to run, in pipeline order: the `analysis_depth` setting, narrowed by focus / skips;
    `faces=False` (the `face_analysis` setting off) leaves out face detection."""
    if depth not in DEPTHS:
        raise ConfigError(f"unknown analysis depth {depth!r}; use quick, standard or full")
    if focus is not None and focus not in ("audio", "visual", "metadata"):
        raise ConfigError(f"unknown focus {focus!r}; use audio, visual or metadata")
    wanted = set(GROUPS["metadata"])
    groups = {"visual", "audio", "ai"} if focus is None else {focus} - {"metadata"}
    if skip_visual:
        groups.discard("visual")
    if skip_audio:
        groups.discard("audio")
    if skip_ai:
        groups.discard("ai")
    for g in groups:
        wanted |= set(GROUPS[g])
    if not faces:
        wanted.discard("faces")
    return tuple(s for s in ALL_ANALYSIS if s in wanted and s in DEPTHS[depth])
