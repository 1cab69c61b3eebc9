"""The offline providers need no network: every model ships inside an installed package.

Two proofs: in this process with non-loopback sockets and DNS blocked, and in a fresh interpreter (nothing loaded
yet, an empty model cache) with the same guard installed before vcat is imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from vcat_core.ai import (
    analyse_audio,
    analyse_content,
    clip_embedding_text,
    embed_texts,
)

from . import ai_media

pytestmark = pytest.mark.skipif(not ai_media.have_espeak(), reason="espeak-ng is not installed")

ROOT = Path(__file__).resolve().parents[1]


def test_offline_pipeline_with_network_blocked(monkeypatch):
    refused = ai_media.block_network(monkeypatch)
    for var in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    audio = analyse_audio(ai_media.dialogue_video())
    assert not audio.transcript.no_speech and audio.speakers.speakers_detected == 2
    analysis = analyse_content(audio.transcript, audio.events, {"duration_seconds": audio.duration, "width": 160,
                                                                "height": 120, "audio_tracks": 1},
                               {"flags": []}, speakers=audio.speakers)
    assert analysis.provider == "local" and analysis.complete
    said = " ".join(analysis.keywords).lower()
    assert sum(w in said for w in ("budget", "transport", "committee", "road", "repairs", "engineers")) >= 2
    assert "loud noises" not in analysis.content_warnings
    (emb,) = embed_texts([clip_embedding_text(analysis, audio.transcript)])
    assert emb.dim == 384
    assert refused == []  # nothing even tried to reach out


def test_fresh_process_loads_every_model_offline(tmp_path):
    wav = ai_media.speech_wav("visit")
    code = ai_media.BLOCK_NETWORK_CODE + f"""
import json
from vcat_core.ai import analyse_audio, analyse_content, embed_texts, warm_up
timings = warm_up()
audio = analyse_audio({str(wav)!r})
a = analyse_content(audio.transcript, audio.events, {{}}, {{}}, speakers=audio.speakers)
e = embed_texts([a.summary])
print(json.dumps({{"text": audio.transcript.text, "entities": [x.type for x in a.entities], "dim": e[0].dim,
                  "warm_up": timings}}))
"""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env.update(VCAT_MODEL_CACHE=str(tmp_path / "models"), HF_HUB_OFFLINE="0", PYTHONPATH=str(ROOT))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240, check=False, env=env, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "Lopez" in out["text"] and out["dim"] == 384
    assert {"PERSON", "LOCATION"} <= set(out["entities"])
    assert (tmp_path / "models").is_dir()  # the Whisper parts were joined into the given cache
