"""Stages 7–8 offline: keywords, entities, sentiment, warnings, scene, technical quality, validation, embeddings."""

from __future__ import annotations

import numpy as np
import pytest

from vcat_core.ai import (
    Analysis,
    AudioEvent,
    Segment,
    Sentiment,
    Speakers,
    TechnicalQuality,
    Transcript,
    analyse_content,
    clip_embedding_text,
    embed_texts,
    local_embed,
)
from vcat_core.ai import local_analyze as la
from vcat_core.ai.quality import validate_analysis

from . import ai_media

METADATA = {
    "duration_seconds": 12.0, "width": 1920, "height": 1080, "frame_rate": 25.0, "camera_make": "Sony",
    "camera_model": "ILCE-7SM3", "audio_tracks": 1,
}


def transcript_of(text: str) -> Transcript:
    return Transcript(language="en", segments=[Segment(start=0.0, end=10.0, text=text)], duration=12.0)


@pytest.mark.parametrize(
    "name,topic",
    [("weather", {"weather", "rain", "storm", "forecast"}), ("bicycle", {"bicycle", "battery", "frame"})],
)
def test_keywords_include_the_topic_words(name, topic):
    kws = la.extract_keywords(ai_media.SENTENCES[name])
    words = {w for k in kws for w in k.lower().split()}
    assert 5 <= len(kws) <= 10, kws
    assert len(words & topic) >= 2, kws


def test_entities_person_org_location():
    ents = la.extract_entities("Maria Lopez from Acme Corporation visited Paris")
    assert {(e.text, e.type) for e in ents} >= {
        ("Maria Lopez", "PERSON"), ("Acme Corporation", "ORG"), ("Paris", "LOCATION")
    }


def test_rule_based_entity_fallback(monkeypatch):
    monkeypatch.setitem(la._nlp, "nlp", None)  # as if spaCy were not installed
    ents = la.extract_entities("Maria Lopez from Acme Corporation visited Paris")
    assert {(e.text, e.type) for e in ents} == {
        ("Maria Lopez", "PERSON"), ("Acme Corporation", "ORG"), ("Paris", "LOCATION")
    }
    assert la.extract_keywords(ai_media.SENTENCES["weather"])  # keywords work without spaCy too


def test_sentiment_orders_positive_above_negative():
    pos = la.analyse_sentiment("I love this wonderful sunny day. Everything is great and we are so happy.")
    neg = la.analyse_sentiment("This is a terrible disaster. I hate it and everyone is angry and sad.")
    neu = la.analyse_sentiment("The meeting is at three o'clock in room four.")
    assert pos.label == "positive" and neg.label == "negative" and neu.label == "neutral"
    assert pos.score > neu.score > neg.score
    assert la.analyse_sentiment("").label == "neutral"


def test_content_warnings_from_words_and_impacts():
    assert la.content_warnings("He pulled a gun and shot the guard.") == ["violence"]
    assert "profanity" in la.content_warnings("What the fuck was that")
    assert la.content_warnings("A calm walk by the lake.") == []
    bang = AudioEvent(label="impact", start=1, end=1.3, score=0.9)
    assert la.content_warnings("", [bang]) == ["loud noises"]


def test_technical_quality_from_vision_and_metadata():
    good = la.technical_quality({"flags": [], "shot_type": "wide"}, METADATA)
    bad = la.technical_quality({"flags": ["blurry", "underexposed", "noisy"]}, {"width": 320, "height": 240})
    assert good.rating == "excellent" and good.issues == []
    assert bad.rating == "poor" and {"blurry", "underexposed", "low resolution"} <= set(bad.issues)
    assert bad.score < good.score
    assert la.technical_quality({}, {}).rating == "unknown"


def test_scene_classification_rules():
    tr = transcript_of(ai_media.SENTENCES["weather"])
    speech = [AudioEvent(label="speech", start=0, end=10, score=0.8)]
    two = Speakers(speakers_detected=2, method="t")
    assert la.classify_scene(tr, speech, two, {}, 12) == "conversation / interview"
    assert la.classify_scene(tr, speech, Speakers(speakers_detected=1), {"shot_type": "close_up"}, 12).startswith("talking head")
    music = [AudioEvent(label="music", start=0, end=10, score=0.8)]
    assert la.classify_scene(Transcript(no_speech=True), music, None, {}, 12) == "music / performance"
    crowd = [AudioEvent(label="applause", start=0, end=6, score=0.8)]
    assert la.classify_scene(None, crowd, None, {}, 12) == "live event / audience"
    assert la.classify_scene(None, [], None, {}, 0) == "b-roll (no sound)"


def test_local_analysis_is_complete_and_valid():
    text = ai_media.SENTENCES["visit"] + " " + ai_media.SENTENCES["bicycle"]
    events = [AudioEvent(label="speech", start=0, end=10, score=0.8)]
    a = analyse_content(transcript_of(text), events, METADATA, {"flags": [], "shot_type": "medium"},
                        speakers=Speakers(speakers_detected=1, method="t"))
    assert a.complete and a.problems == [], a.problems
    assert a.provider == "local" and a.model
    assert 3 <= len([s for s in a.summary.split(". ") if s]) <= 6
    assert 5 <= len(a.keywords) <= 10
    assert ("Maria Lopez", "PERSON") in {(e.text, e.type) for e in a.entities}
    assert a.sentiment.label in ("positive", "neutral")
    assert a.technical_quality.rating == "excellent"
    Analysis.model_validate_json(a.model_dump_json())  # round-trips as JSON


def test_analysis_of_a_silent_clip_is_honest():
    a = analyse_content(Transcript(no_speech=True), [AudioEvent(label="silence", start=0, end=5, score=0.9)],
                        {"duration_seconds": 5, "width": 1280, "height": 720, "audio_tracks": 1}, {"flags": []})
    assert a.entities == [] and a.sentiment.label == "neutral"
    assert a.scene_classification.startswith("b-roll")
    assert a.summary and a.keywords
    # a silent clip has few keywords: listed as a problem, but nothing required is missing
    assert a.complete


def _analysis(**kw) -> Analysis:
    base = {
        "summary": "One. Two. Three.", "keywords": ["a1", "b2", "c3", "d4", "e5"], "entities": [],
        "scene_classification": "x", "sentiment": Sentiment(label="neutral", score=0.0), "content_warnings": [],
        "technical_quality": TechnicalQuality(rating="good", score=0.8),
    }
    base.update(kw)
    return Analysis(**base)


def test_validation_marks_incomplete_results():
    assert validate_analysis(_analysis()).complete
    for bad in (_analysis(summary=""), _analysis(keywords=[]), _analysis(scene_classification=" "),
                _analysis(sentiment=Sentiment(label="positive", score=3.0)),
                _analysis(technical_quality=TechnicalQuality(rating="good", score=-1))):
        v = validate_analysis(bad)
        assert not v.complete and v.problems
    many = validate_analysis(_analysis(keywords=[f"k{i}" for i in range(14)] + ["K1"]))
    assert many.complete and len(many.keywords) == 10 and any("10" in p for p in many.problems)
    short = validate_analysis(_analysis(summary="Only one sentence."))
    assert short.complete and any("sentence" in p for p in short.problems)
    # once incomplete, always incomplete
    assert not validate_analysis(_analysis(complete=False)).complete


def test_local_embeddings_are_384_dim_and_semantic():
    embs = embed_texts(["A dog runs in the park.", "A puppy plays on the grass.", "Stock markets fell sharply today."])
    assert all(e.model == local_embed.MODEL_NAME and e.dim == 384 and len(e.vector) == 384 for e in embs)
    v = np.array([e.vector for e in embs])
    assert np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-4)
    assert v[0] @ v[1] > v[0] @ v[2] + 0.2
    assert embed_texts([]) == []
    # batching and padding do not change a vector
    alone = local_embed.encode(["A dog runs in the park."])[0]
    assert float(alone @ v[0]) > 0.9999


def test_clip_embedding_text_and_search_sanity():
    clips = {
        "weather": ai_media.SENTENCES["weather"],
        "bicycle": ai_media.SENTENCES["bicycle"],
        "visit": ai_media.SENTENCES["visit"],
    }
    vectors = {}
    for name, text in clips.items():
        tr = transcript_of(text)
        a = analyse_content(tr, [], METADATA, {"flags": []})
        t = clip_embedding_text(a, tr)
        assert a.summary in t and "Transcript:" in t and len(t) <= 2000
        vectors[name] = np.array(embed_texts([t])[0].vector)
    q = np.array(embed_texts(["storm and rain in the mountains"])[0].vector)
    assert max(vectors, key=lambda k: float(vectors[k] @ q)) == "weather"
    q = np.array(embed_texts(["e-bike battery"])[0].vector)
    assert max(vectors, key=lambda k: float(vectors[k] @ q)) == "bicycle"
    assert clip_embedding_text(None, Transcript(no_speech=True)) == ""
