"""Typed results of the AI stages (audio & transcript, analysis, embeddings).

Plain pydantic models so they cross the process pool and persist as JSON. ``AnalysisContent`` is exactly the
structured JSON of seed §2.6 and is what a remote model is asked to fill (``response_schema``); ``Analysis`` adds the
provenance (provider, model, completeness, usage) that vcat records beside it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

# --------------------------------------------------------------------------------------------------------- audio


class Word(BaseModel):
    start: float  # seconds from the start of the file's audio
    end: float
    text: str
    probability: float | None = None


class Segment(BaseModel):
    start: float
    end: float
    text: str
    words: list[Word] | None = None
    speaker: str | None = None  # "S1", "S2"... when speakers.py could tell them apart, else None
    avg_logprob: float | None = None
    no_speech_prob: float | None = None


class Transcript(BaseModel):
    language: str | None = None  # ISO 639-1 code ("en"); None when nothing was said
    language_probability: float | None = None
    segments: list[Segment] = Field(default_factory=list)
    no_speech: bool = False  # True when the audio holds no recognisable speech (or no audio at all)
    model: str = ""  # e.g. "faster-whisper/base-int8"
    duration: float = 0.0  # seconds of audio transcribed

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


AudioEventLabel = Literal["speech", "music", "applause", "crowd", "silence", "impact", "noise"]


class AudioEvent(BaseModel):
    """A non-speech (or speech) event over a time range; ``score`` 0..1 is the detector's confidence."""

    label: str  # one of AudioEventLabel for the signal-feature detector; a YamNet class name may follow in `detail`
    start: float
    end: float
    score: float
    detail: str | None = None  # the detector's own class name or the feature that decided it


class SpeakerTurn(BaseModel):
    start: float
    end: float
    speaker: str


class Speakers(BaseModel):
    """How many people speak. ``speakers_detected`` is None when the method cannot tell (too little speech...)."""

    speakers_detected: int | None = None
    method: str = ""  # e.g. "mfcc-stats+agglomerative (cosine)"
    reason: str | None = None  # why it could not tell, or what the count rests on
    turns: list[SpeakerTurn] = Field(default_factory=list)


class AudioAnalysis(BaseModel):
    """The audio stage's result for one file."""

    has_audio: bool
    duration: float = 0.0  # seconds of decoded audio
    transcript: Transcript
    events: list[AudioEvent] = Field(default_factory=list)
    speakers: Speakers = Field(default_factory=Speakers)
    timings: dict[str, float] = Field(default_factory=dict)  # seconds per step: decode, transcribe, events, speakers


# ------------------------------------------------------------------------------------------------------ analysis

EntityType = Literal["PERSON", "ORG", "LOCATION"]
SentimentLabel = Literal["positive", "negative", "neutral", "mixed"]
QualityRating = Literal["excellent", "good", "fair", "poor", "unknown"]


class Entity(BaseModel):
    text: str
    type: EntityType


class Sentiment(BaseModel):
    label: SentimentLabel
    score: float = Field(description="-1 (most negative) .. +1 (most positive)")


class TechnicalQuality(BaseModel):
    rating: QualityRating = Field(description="overall technical quality of the footage")
    score: float | None = Field(default=None, description="0 (unusable) .. 1 (flawless)")
    issues: list[str] = Field(default_factory=list, description="short problem names, e.g. blurry, underexposed")
    notes: str | None = Field(default=None, description="one sentence on image and sound quality")


class TextOnScreen(BaseModel):
    """Text legible in the picture, with when it shows (the cloud path's on-screen text; locally the vision stage
    reads it with OCR)."""

    text: str = Field(description="the text as shown, e.g. a slate 'SC 42 TK 3', a sign, a lower third's name")
    start_seconds: float = Field(description="when it appears, seconds from the start of the video")
    end_seconds: float = Field(description="when it disappears, seconds from the start of the video")


class AnalysisContent(BaseModel):
    """The structured analysis of one clip (seed §2.6). Remote models fill exactly this schema."""

    summary: str = Field(description="3 to 5 sentences describing what the clip shows and says")
    keywords: list[str] = Field(description="5 to 10 search keywords, most important first")
    entities: list[Entity] = Field(default_factory=list, description="named people, organisations and places")
    scene_classification: str = Field(description="short scene label, e.g. interview, outdoor, event, music")
    sentiment: Sentiment
    content_warnings: list[str] = Field(default_factory=list, description="e.g. profanity, violence; empty if none")
    technical_quality: TechnicalQuality
    on_screen_text: list[TextOnScreen] = Field(default_factory=list, description="legible text shown in the "
                                               "picture, each with its times; empty if none")


class Usage(BaseModel):
    """Tokens and time of one provider call (for cost reports)."""

    provider: str
    model: str
    input_tokens: int | None = None
    output_tokens: int | None = None
    total_tokens: int | None = None
    seconds: float = 0.0
    attempts: int = 1


class Analysis(AnalysisContent):
    """AnalysisContent plus provenance. ``complete`` is False when validation (quality.py) found gaps."""

    provider: str = "local"
    model: str = ""
    complete: bool = True
    problems: list[str] = Field(default_factory=list)  # what quality.validate_analysis found missing or out of range
    usage: list[Usage] = Field(default_factory=list)
    raw: str | None = None  # the provider's raw response text, when there is one


# ---------------------------------------------------------------------------------------------------- embeddings


class Embedding(BaseModel):
    model: str  # e.g. "all-MiniLM-L6-v2-onnx-int8", "text-embedding-3-small"
    dim: int
    vector: list[float]
