"""Gemini (analysis) and OpenAI (embeddings) through their REAL clients, pointed by base URL at a local fake server.

No client class is patched: the server (tests/ai_fake_api.py) speaks the wire protocol — generateContent with a
JSON-schema answer, the resumable Files API upload, embeddings — and scripts 429s, 5xx, malformed JSON and slow
answers. Sockets to anything but loopback are blocked during these tests.
"""

from __future__ import annotations

import base64
import json

import numpy as np
import pytest

from vcat_core.ai import (
    ProviderError,
    ProviderResponseError,
    ProviderTimeoutError,
    analyse_content,
    embed_texts,
)
from vcat_core.ai.gemini import GeminiAnalyzer, GeminiConfig
from vcat_core.ai.openai_embed import OpenAIEmbedConfig, OpenAIEmbedder
from vcat_core.ai.providers import (
    AISettings,
    clear_cache,
    get_analyzer,
    get_text_embedder,
)
from vcat_core.ai.retry import RetryPolicy
from vcat_core.ai.schema import AudioEvent, Segment, Transcript
from vcat_core.errors import ConfigError

from . import ai_media
from .ai_fake_api import GOOD_ANALYSIS, FakeAPI, fake_vector

FAST_RETRY = RetryPolicy(attempts=3, initial_delay=0.01, max_delay=0.05)
TRANSCRIPT = Transcript(language="en", segments=[Segment(start=0, end=4, text=ai_media.SENTENCES["bicycle"])], duration=5)


@pytest.fixture
def api(monkeypatch):
    refused = ai_media.block_network(monkeypatch)
    with FakeAPI() as server:
        yield server
    assert refused == []  # the clients went nowhere but the local server


def gemini(api: FakeAPI, **kw) -> GeminiAnalyzer:
    cfg = {"api_key": api.gemini_key, "base_url": api.url, "timeout": 5, "retry": FAST_RETRY, "requests_per_minute": None}
    cfg.update(kw)
    return GeminiAnalyzer(GeminiConfig(**cfg))


def _field(d: dict, camel: str):
    """A JSON field by its camelCase or snake_case name (the API accepts both; the SDK sends either)."""
    snake = "".join("_" + c.lower() if c.isupper() else c for c in camel)
    return d.get(camel, d.get(snake))


def _thumb(tmp_path):
    from PIL import Image

    p = tmp_path / "t0.jpg"
    Image.new("RGB", (64, 36), (200, 120, 40)).save(p)
    return p


def test_gemini_one_call_with_inline_video_thumbnails_and_schema(api, tmp_path):
    video = ai_media.write_video(tmp_path / "clip.mp4", ai_media.chord_music(1.0))
    thumb = _thumb(tmp_path)
    a = analyse_content(TRANSCRIPT, [AudioEvent(label="speech", start=0, end=4, score=0.9)], {"width": 160},
                        {"flags": []}, thumbnails=[thumb], video_path=video, provider=gemini(api))
    assert a.provider == "gemini" and a.model == "gemini-2.5-flash" and a.complete
    assert a.summary == GOOD_ANALYSIS["summary"] and a.keywords == GOOD_ANALYSIS["keywords"]
    assert ("Maria Lopez", "PERSON") in {(e.text, e.type) for e in a.entities}
    assert a.usage[0].input_tokens == 1200 and a.usage[0].output_tokens == 150 and a.usage[0].attempts == 1
    assert json.loads(a.raw) == GOOD_ANALYSIS
    (call,) = api.calls(":generateContent")
    assert "gemini-2.5-flash" in call["path"]
    body = call["json"]
    gen = body["generationConfig"]
    assert gen["responseMimeType"] == "application/json"
    schema = gen.get("responseSchema") or gen.get("responseJsonSchema")
    assert {"summary", "keywords", "entities", "sentiment", "technical_quality"} <= set(schema["properties"])
    parts = body["contents"][0]["parts"]
    inline = [_field(p, "inlineData") for p in parts if _field(p, "inlineData")]
    assert [_field(d, "mimeType") for d in inline] == ["video/mp4", "image/jpeg"]
    assert base64.urlsafe_b64decode(inline[0]["data"]) == video.read_bytes()
    context = json.loads(parts[-1]["text"])
    assert context["metadata"] == {"width": 160} and context["transcript"]["segments"][0]["text"].startswith("Our new")
    assert not api.calls("/upload/")


def test_gemini_large_video_goes_through_the_files_api(api, tmp_path):
    video = ai_media.write_video(tmp_path / "clip.mp4", ai_media.chord_music(1.0))
    a = gemini(api, inline_max_bytes=1000, file_poll_interval=0.01).analyze(TRANSCRIPT, video_path=video)
    assert a.summary == GOOD_ANALYSIS["summary"]
    (uid,) = api.uploads
    assert bytes(api.uploads[uid]) == video.read_bytes()  # the whole file arrived
    assert api.file_polls >= 2  # waited for PROCESSING -> ACTIVE
    parts = api.calls(":generateContent")[0]["json"]["contents"][0]["parts"]
    (fd,) = [_field(p, "fileData") for p in parts if _field(p, "fileData")]
    assert _field(fd, "fileUri").endswith(f"files/{uid}") and _field(fd, "mimeType") == "video/mp4"
    assert [r for r in api.requests if r["method"] == "DELETE"]  # uploaded file cleaned up


def test_gemini_skips_containers_it_cannot_take(api, tmp_path):
    mxf = tmp_path / "clip.mxf"
    mxf.write_bytes(b"\x06\x0e\x2b\x34" * 100)
    a = gemini(api).analyze(TRANSCRIPT, video_path=mxf, thumbnails=[_thumb(tmp_path)])
    assert a.complete is True
    parts = api.calls(":generateContent")[0]["json"]["contents"][0]["parts"]
    assert [_field(_field(p, "inlineData"), "mimeType") for p in parts if _field(p, "inlineData")] == ["image/jpeg"]
    assert not api.calls("/upload/")


def test_gemini_retries_429_and_5xx_then_succeeds(api):
    api.script = ["429", "503", "ok"]
    a = gemini(api).analyze(TRANSCRIPT)
    assert a.summary == GOOD_ANALYSIS["summary"] and a.usage[0].attempts == 3
    assert len(api.calls(":generateContent")) == 3


def test_gemini_gives_up_after_the_retry_budget(api):
    api.script = ["429"] * 5
    with pytest.raises(ProviderError, match="HTTP 429 after 3 attempt") as info:
        gemini(api).analyze(TRANSCRIPT)
    assert info.value.status == 429 and api.gemini_key not in str(info.value)


def test_gemini_client_errors_are_not_retried(api):
    with pytest.raises(ProviderError, match="HTTP 401 after 1 attempt") as info:
        gemini(api, api_key="wrong-key-123").analyze(TRANSCRIPT)
    assert "wrong-key-123" not in str(info.value)
    assert len(api.calls(":generateContent")) == 1


@pytest.mark.parametrize("answer,message", [("malformed", "not valid JSON"), ("wrong_schema", "schema mismatch"),
                                            ("empty", "empty answer")])
def test_gemini_malformed_answers_give_a_clear_error(api, answer, message):
    api.script = [answer] * 3
    with pytest.raises(ProviderResponseError, match=message):
        gemini(api).analyze(TRANSCRIPT)
    assert len(api.calls(":generateContent")) == 3  # a glitch is retried, then reported


def test_gemini_malformed_once_then_good_is_fine(api):
    api.script = ["malformed", "ok"]
    assert gemini(api).analyze(TRANSCRIPT).usage[0].attempts == 2


def test_gemini_timeout(api):
    api.script = ["slow", "slow"]
    api.slow_seconds = 2.0
    with pytest.raises(ProviderTimeoutError, match="within 0.5 s, 2 attempt"):
        gemini(api, timeout=0.5, retry=RetryPolicy(attempts=2, initial_delay=0.01)).analyze(TRANSCRIPT)


def test_gemini_incomplete_answer_is_marked_incomplete(api):
    api.analysis = dict(GOOD_ANALYSIS, summary="", keywords=[])
    a = analyse_content(TRANSCRIPT, provider=gemini(api))
    assert not a.complete and "summary is empty" in a.problems and "no keywords" in a.problems


def test_rate_limiter_spaces_calls(api):
    import time

    g = gemini(api, requests_per_minute=600)  # one call every 0.1 s
    t = time.perf_counter()
    for _ in range(3):
        g.analyze(TRANSCRIPT)
    assert time.perf_counter() - t >= 0.2


def test_openai_embeddings_real_client(api):
    e = OpenAIEmbedder(OpenAIEmbedConfig(api_key=api.openai_key, base_url=api.url + "/v1", retry=FAST_RETRY,
                                         requests_per_minute=None, batch_size=2))
    texts = ["storm in the mountains", "electric bicycle", "a third text"]
    embs = e.embed(texts)
    assert [x.dim for x in embs] == [1536] * 3 and all(x.model == "text-embedding-3-small" for x in embs)
    for x, t in zip(embs, texts, strict=True):
        assert np.allclose(x.vector, fake_vector(t, 1536), atol=1e-6)
    assert len(api.calls("/v1/embeddings")) == 2  # batches of 2
    assert e.usage[0].input_tokens == 6 and e.usage[0].provider == "openai"
    assert api.calls("/v1/embeddings")[0]["json"]["model"] == "text-embedding-3-small"


def test_openai_retries_then_errors_clearly(api):
    e = OpenAIEmbedder(OpenAIEmbedConfig(api_key=api.openai_key, base_url=api.url + "/v1", retry=FAST_RETRY,
                                         requests_per_minute=None))
    api.script = ["429", "500", "ok"]
    assert len(e.embed(["x"])[0].vector) == 1536 and e.usage[-1].attempts == 3
    api.script = ["503"] * 3
    with pytest.raises(ProviderError, match="HTTP 503 after 3 attempt"):
        e.embed(["x"])
    api.script = ["malformed"]
    with pytest.raises(ProviderError):
        e.embed(["x"])
    bad = OpenAIEmbedder(OpenAIEmbedConfig(api_key="sk-secret-999", base_url=api.url + "/v1", retry=FAST_RETRY))
    with pytest.raises(ProviderError, match="HTTP 401") as info:
        bad.embed(["x"])
    assert "sk-secret-999" not in str(info.value)


def test_openai_timeout(api):
    api.script = ["slow", "slow"]
    api.slow_seconds = 2.0
    e = OpenAIEmbedder(OpenAIEmbedConfig(api_key=api.openai_key, base_url=api.url + "/v1", timeout=0.5,
                                         retry=RetryPolicy(attempts=2, initial_delay=0.01)))
    with pytest.raises(ProviderTimeoutError, match="2 attempt"):
        e.embed(["x"])


def test_providers_from_settings_and_env(api, monkeypatch):
    clear_cache()
    monkeypatch.setenv("GEMINI_API_KEY", api.gemini_key)
    monkeypatch.setenv("OPENAI_API_KEY", api.openai_key)
    settings = {"provider": "gemini", "embed_provider": "openai", "gemini_base_url": api.url,
                "openai_base_url": api.url + "/v1", "gemini_model": "gemini-test-flash"}
    assert isinstance(get_analyzer(settings), GeminiAnalyzer)
    assert get_analyzer(settings) is get_analyzer(settings)  # one client per process and settings
    a = analyse_content(TRANSCRIPT, settings=settings)
    assert a.provider == "gemini" and a.model == "gemini-test-flash"
    assert "gemini-test-flash" in api.calls(":generateContent")[-1]["path"]
    embs = embed_texts(["hello"], settings)
    assert embs[0].dim == 1536
    s = AISettings.from_any(settings)
    assert api.gemini_key not in repr(s) and api.openai_key not in repr(s) and "set" in repr(s)
    # object-style settings (like vcat_core.config.Settings) with ai_ prefixed attributes
    obj = type("S", (), {"ai_provider": "local", "ai_embed_provider": "local"})()
    assert AISettings.from_any(obj).provider == "local"
    assert get_text_embedder(obj).dim == 384
    clear_cache()


def test_missing_keys_and_bad_providers_are_config_errors(monkeypatch):
    for k in ("GEMINI_API_KEY", "GOOGLE_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(k, raising=False)
    with pytest.raises(ConfigError, match="GEMINI_API_KEY"):
        get_analyzer({"provider": "gemini"})
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        get_text_embedder({"embed_provider": "openai"})
    with pytest.raises(ConfigError, match="local or gemini"):
        AISettings.from_any({"provider": "claude"})
    monkeypatch.setenv("GOOGLE_API_KEY", "g-key")
    assert AISettings.from_any({}).resolved_gemini_key() == "g-key"
