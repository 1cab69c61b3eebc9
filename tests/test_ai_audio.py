"""Stage 6 (audio & transcript): decoding, Whisper on espeak-ng speech (WER measured), speakers, audio events."""

from __future__ import annotations

import itertools
import os
import time

import numpy as np
import pytest

from vcat_core.ai import analyse_audio
from vcat_core.ai.audio import SAMPLE_RATE, decode_audio
from vcat_core.ai.audio_events import detect_events
from vcat_core.ai.local_whisper import (
    WhisperTranscriber,
    chunk_bounds,
    model_dir,
    speech_ranges,
    word_error_rate,
)
from vcat_core.ai.speakers import detect_speakers

from . import ai_media

pytestmark = pytest.mark.skipif(not ai_media.have_espeak(), reason="espeak-ng is not installed")


@pytest.fixture(scope="module")
def transcriber() -> WhisperTranscriber:
    return WhisperTranscriber()  # the default model (Whisper base, int8); loaded once per process


def test_decode_video_audio_to_16k_mono(tmp_path):
    speech = ai_media.speak("Testing one two three.")
    video = ai_media.write_video(tmp_path / "s.mp4", speech)
    audio = decode_audio(video)
    assert audio.has_audio and audio.samples.dtype == np.float32 and audio.sample_rate == SAMPLE_RATE
    assert abs(audio.duration - len(speech) / SAMPLE_RATE) < 0.15  # AAC priming/padding at most a few frames
    assert np.abs(audio.samples).max() > 0.1


def test_decode_file_without_audio_is_not_an_error():
    audio = decode_audio(ai_media.silent_video())
    assert not audio.has_audio and audio.samples.size == 0


def test_word_error_rate_metric():
    assert word_error_rate("the cat sat", "the cat sat") == 0
    assert word_error_rate("the cat sat", "the dog sat") == pytest.approx(1 / 3)
    assert word_error_rate("the cat sat", "the cat") == pytest.approx(1 / 3)
    assert word_error_rate("It costs 5 dollars.", "it costs five dollars") == 0


def test_transcript_word_error_rate(transcriber):
    """Synthetic speech, three sentences: one sentence may trip on a phrase (today's packages hear espeak's
    "a battery that lasts all day" as "a battery at last soil pay": 30 %), the set as a whole must be good."""
    rates = {}
    for name in ("weather", "bicycle", "visit"):
        samples = ai_media.speak(ai_media.SENTENCES[name])
        tr = transcriber.transcribe(samples)
        rates[name] = word_error_rate(ai_media.SENTENCES[name], tr.text)
        print(f"WER {name}: {rates[name]:.1%} :: {tr.text}")
        assert rates[name] <= 0.35, name
        assert tr.language == "en" and not tr.no_speech
        # timestamps: ordered, inside the audio, words inside their segment
        dur = len(samples) / SAMPLE_RATE
        for seg in tr.segments:
            assert 0 <= seg.start < seg.end <= dur + 0.5
            assert seg.words and all(seg.start - 0.05 <= w.start <= w.end <= seg.end + 0.05 for w in seg.words)
    assert sum(rates.values()) / len(rates) <= 0.15


def test_speech_after_silence_has_absolute_timestamps(transcriber):
    samples = np.concatenate([ai_media.silence(4.0), ai_media.speak("Good morning everyone.")])
    tr = transcriber.transcribe(samples)
    assert "morning" in tr.text.lower()
    assert tr.segments[0].start >= 3.5


def test_no_speech_on_music_and_silence(transcriber):
    assert transcriber.transcribe(ai_media.silence(3)).no_speech
    tr = transcriber.transcribe(ai_media.chord_music(6))
    assert tr.no_speech, tr.text
    assert tr.language is None


def test_long_audio_chunks_keep_absolute_time(transcriber):
    # chunk every 6 s so a 2-sentence clip crosses a boundary; the split lands in the pause between sentences
    a, b = ai_media.speak("The red car is parked outside."), ai_media.speak("The blue boat sails on the lake.")
    samples = np.concatenate([a, ai_media.silence(1.5), b])
    chunk = len(a) / SAMPLE_RATE + 0.75
    bounds = chunk_bounds(samples, chunk_seconds=chunk, search_seconds=0.7)
    assert len(bounds) >= 2 and bounds[0][0] == 0 and bounds[-1][1] == len(samples)
    assert all(b0[1] == b1[0] for b0, b1 in itertools.pairwise(bounds))
    assert len(a) <= bounds[0][1] <= len(a) + int(1.5 * SAMPLE_RATE)  # cut in the silence
    chunked = WhisperTranscriber(chunk_seconds=chunk)
    tr = chunked.transcribe(samples)
    assert word_error_rate("The red car is parked outside. The blue boat sails on the lake.", tr.text) <= 0.25
    boat = [w for s in tr.segments for w in (s.words or []) if "boat" in w.text.lower()]
    assert boat and boat[0].start > len(a) / SAMPLE_RATE


def test_model_parts_are_joined_once_atomically(tmp_path):
    d = model_dir("base", cache_dir=tmp_path)
    mb = d / "model.bin"
    assert mb.stat().st_size > 100_000_000 and (d / "config.json").is_file()
    mtime = mb.stat().st_mtime_ns
    assert model_dir("base", cache_dir=tmp_path) == d and mb.stat().st_mtime_ns == mtime  # reused, not re-joined
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]
    with open(mb, "r+b") as f:  # a damaged (short) file is detected and rebuilt
        f.truncate(1000)
    model_dir("base", cache_dir=tmp_path)
    assert mb.stat().st_size > 100_000_000


def test_two_alternating_voices_are_two_speakers():
    two = ai_media.dialogue(True)
    sp = detect_speakers(two, speech_ranges(two))
    assert sp.speakers_detected == 2, sp
    assert [t.speaker for t in sp.turns] == ["S1", "S2", "S1", "S2", "S1", "S2"]
    one = ai_media.dialogue(False)
    assert detect_speakers(one, speech_ranges(one)).speakers_detected == 1


def test_speakers_robust_to_what_is_said():
    lines = list(ai_media.SENTENCES.values()) + ai_media.DIALOGUE[:3]
    one = np.concatenate([np.concatenate([ai_media.speak(t, "en+f3"), ai_media.silence(0.4)]) for t in lines])
    assert detect_speakers(one, speech_ranges(one)).speakers_detected == 1
    # turns with no pause between them: windows still split by voice
    back_to_back = np.concatenate([ai_media.speak(t, v) for t, v in zip(lines, ["en+m3", "en+f3"] * 3, strict=False)])
    assert detect_speakers(back_to_back, speech_ranges(back_to_back)).speakers_detected == 2


def test_speakers_says_when_it_cannot_tell():
    short = ai_media.speak("Hi.")
    sp = detect_speakers(short, speech_ranges(short))
    assert sp.speakers_detected is None and "speech" in (sp.reason or "")
    assert detect_speakers(ai_media.silence(2), []).speakers_detected == 0


def _overlap(e, rng) -> float:
    return max(0.0, min(e.end, rng[1]) - max(e.start, rng[0]))


def test_audio_events_on_generated_audio():
    events = detect_events(ai_media.event_mix())
    by = {label: [e for e in events if e.label == label] for label in ("music", "silence", "applause", "impact", "speech")}
    for label, rng in ai_media.EVENT_TRUTH.items():
        hit = max((_overlap(e, rng) for e in by[label]), default=0.0)
        assert hit >= 0.6 * (rng[1] - rng[0]), (label, by[label])
    # nothing labelled where it is not: no music in the applause, no applause in the music, no speech at all
    assert all(_overlap(e, ai_media.EVENT_TRUTH["applause"]) < 0.5 for e in by["music"])
    assert all(_overlap(e, ai_media.EVENT_TRUTH["music"]) < 0.5 for e in by["applause"])
    assert not by["speech"]
    assert len(by["impact"]) == 1
    for e in events:
        assert 0 <= e.score <= 1 and e.start < e.end


def test_impacts_in_speech_but_not_speech_onsets():
    talk = ai_media.dialogue(True)  # every line starts after 0.5 s of digital silence: onsets are not bangs
    assert not [e for e in detect_events(talk) if e.label == "impact"]
    rng = np.random.default_rng(1)
    at, n = int(2.0 * SAMPLE_RATE), int(0.3 * SAMPLE_RATE)
    bang = talk.copy()
    bang[at : at + n] += (rng.normal(0, 1, n) * np.exp(-np.arange(n) / (0.05 * SAMPLE_RATE)) * 0.9).astype(np.float32)
    hits = [e for e in detect_events(np.clip(bang, -1, 1)) if e.label == "impact"]
    assert len(hits) == 1 and abs(hits[0].start - 2.0) < 0.1


def test_speech_is_an_event():
    samples = np.concatenate([ai_media.silence(1.5), ai_media.speak(ai_media.SENTENCES["weather"]), ai_media.silence(1.5)])
    speech = [e for e in detect_events(samples) if e.label == "speech"]
    assert speech and speech[0].start >= 1.0 and speech[-1].end <= len(samples) / SAMPLE_RATE - 1.0


def test_analyse_audio_on_a_video_end_to_end():
    t = time.perf_counter()
    res = analyse_audio(ai_media.dialogue_video())
    elapsed = time.perf_counter() - t
    assert res.has_audio and res.duration > 20
    ref = " ".join(ai_media.DIALOGUE)
    wer = word_error_rate(ref, res.transcript.text)
    print(f"dialogue WER {wer:.1%}, {elapsed:.1f} s for {res.duration:.0f} s, timings {res.timings}")
    assert wer <= 0.25
    assert res.speakers.speakers_detected == 2
    speakers = [s.speaker for s in res.transcript.segments]
    assert set(speakers) == {"S1", "S2"}
    assert any(e.label == "speech" for e in res.events)


def test_analyse_audio_without_audio_stream():
    res = analyse_audio(ai_media.silent_video())
    assert not res.has_audio and res.transcript.no_speech and res.transcript.segments == []
    assert res.speakers.speakers_detected == 0


@pytest.mark.skipif(os.environ.get("VCAT_TEST_TINY") != "1", reason="set VCAT_TEST_TINY=1 to also test tiny.en")
def test_tiny_en_model():
    tr = WhisperTranscriber("tiny.en").transcribe(ai_media.speak(ai_media.SENTENCES["weather"]))
    assert word_error_rate(ai_media.SENTENCES["weather"], tr.text) <= 0.25
