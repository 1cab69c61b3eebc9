"""A local HTTP server (127.0.0.1, a thread) that speaks just enough of the Gemini and OpenAI APIs for the real
``google-genai`` and ``openai`` clients: generateContent (JSON-schema answers), the resumable Files API upload, file
get/delete, and embeddings (float or base64). ``script`` lists what the next requests get: "ok", a status code
("429", "503"…), "malformed" (not JSON), "wrong_schema" (JSON missing fields), "empty", "slow" (sleeps past the
client's timeout), so retries, errors and timeouts can be exercised without patching any client class.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np

GOOD_ANALYSIS = {
    "summary": "A presenter explains an electric bicycle outdoors. She shows the frame and the battery. "
    "Riders then test it in the city. The tone is upbeat.",
    "keywords": ["electric bicycle", "battery", "city", "review", "cycling", "presenter"],
    "entities": [{"text": "Maria Lopez", "type": "PERSON"}, {"text": "Paris", "type": "LOCATION"}],
    "scene_classification": "product review",
    "sentiment": {"label": "positive", "score": 0.7},
    "content_warnings": [],
    "technical_quality": {"rating": "good", "score": 0.8, "issues": [], "notes": "Sharp, well exposed."},
}


class FakeAPI:
    def __init__(self, gemini_key: str = "test-gemini-key", openai_key: str = "test-openai-key"):
        self.gemini_key = gemini_key
        self.openai_key = openai_key
        self.script: list[str] = []
        self.requests: list[dict] = []  # {"path", "method", "headers", "json"|"bytes"}
        self.uploads: dict[str, bytearray] = {}
        self.file_polls = 0
        self.slow_seconds = 3.0
        self.analysis = dict(GOOD_ANALYSIS)
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep pytest output clean
                pass

            def _body(self) -> bytes:
                n = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(n) if n else b""

            def _send(self, status: int, payload, headers: dict | None = None):
                data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout tests)
                    pass

            def _error(self, status: int):
                body = {"error": {"code": status, "message": f"fake error {status}", "status": "UNAVAILABLE"}}
                headers = {"Retry-After": "0"} if status == 429 else {}
                self._send(status, body, headers)

            def do_GET(self):
                api._record(self, b"")
                path = _unversioned(urlparse(self.path).path)
                if path.startswith("/files/"):
                    name = path[1:]
                    api.file_polls += 1
                    state = "PROCESSING" if api.file_polls == 1 else "ACTIVE"
                    return self._send(200, api._file(name, state))
                self._error(404)

            def do_DELETE(self):
                api._record(self, b"")
                self._send(200, {})

            def do_POST(self):
                body = self._body()
                api._record(self, body)
                path = urlparse(self.path).path
                if path.startswith("/upload/"):
                    return self._upload(body)
                if _unversioned(path).startswith("/models/") and path.endswith(":generateContent"):
                    if self.headers.get("x-goog-api-key") != api.gemini_key:
                        # echo the key, as some servers do: the client's error must not show it
                        given = self.headers.get("x-goog-api-key")
                        return self._send(401, {"error": {"code": 401, "message": f"API key not valid: {given}", "status": "UNAUTHENTICATED"}})
                    return self._generate(json.loads(body))
                if path == "/v1/embeddings":
                    if self.headers.get("Authorization") != f"Bearer {api.openai_key}":
                        given = self.headers.get("Authorization", "").removeprefix("Bearer ")
                        return self._send(401, {"error": {"message": f"Incorrect API key provided: {given}", "type": "invalid_request_error"}})
                    return self._embeddings(json.loads(body))
                self._error(404)

            def _next(self) -> str:
                with api._lock:
                    return api.script.pop(0) if api.script else "ok"

            def _generate(self, req):
                what = self._next()
                if what.isdigit():
                    return self._error(int(what))
                if what == "slow":
                    time.sleep(api.slow_seconds)
                    what = "ok"
                text = {
                    "ok": json.dumps(api.analysis),
                    "malformed": '{"summary": "A clip", "keywords": [unquoted',
                    "wrong_schema": json.dumps({"summary": "A clip."}),
                    "empty": "",
                }[what]
                parts = [{"text": text}] if text else []
                self._send(200, {
                    "candidates": [{"content": {"parts": parts, "role": "model"}, "finishReason": "STOP", "index": 0}],
                    "usageMetadata": {"promptTokenCount": 1200, "candidatesTokenCount": 150, "totalTokenCount": 1350},
                    "modelVersion": req.get("model", "gemini"),
                })

            def _upload(self, body: bytes):
                cmd = (self.headers.get("X-Goog-Upload-Command") or "").lower()
                q = parse_qs(urlparse(self.path).query)
                if cmd == "start":
                    if self.headers.get("x-goog-api-key") != api.gemini_key:
                        return self._send(401, {"error": {"code": 401, "message": "bad key"}})
                    uid = hashlib.md5(str(time.time()).encode()).hexdigest()[:12]
                    api.uploads[uid] = bytearray()
                    # answer with another host, as Google's upload servers do: the client must swap in its base_url
                    return self._send(200, {}, {"X-Goog-Upload-URL": f"https://upload.invalid{urlparse(self.path).path}?upload_id={uid}",
                                                "X-Goog-Upload-Status": "active"})
                uid = q["upload_id"][0]
                api.uploads[uid] += body
                if "finalize" in cmd:
                    f = api._file(f"files/{uid}", "PROCESSING", size=len(api.uploads[uid]))
                    return self._send(200, {"file": f}, {"X-Goog-Upload-Status": "final"})
                return self._send(200, {}, {"X-Goog-Upload-Status": "active"})

            def _embeddings(self, req):
                what = self._next()
                if what.isdigit():
                    return self._error(int(what))
                if what == "slow":
                    time.sleep(api.slow_seconds)
                if what == "malformed":
                    return self._send(200, b'{"data": [ {"embedding": ')
                inputs = req["input"] if isinstance(req["input"], list) else [req["input"]]
                dim = int(req.get("dimensions") or 1536)
                data = []
                for i, text in enumerate(inputs):
                    v = fake_vector(text, dim)
                    if req.get("encoding_format") == "base64":
                        emb = base64.b64encode(v.astype("<f4").tobytes()).decode()
                    else:
                        emb = v.tolist()
                    data.append({"object": "embedding", "index": i, "embedding": emb})
                tokens = sum(len(t.split()) for t in inputs)
                self._send(200, {"object": "list", "data": data, "model": req["model"],
                                 "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _record(self, handler, body: bytes):
        entry = {"method": handler.command, "path": handler.path, "headers": dict(handler.headers)}
        try:
            entry["json"] = json.loads(body) if body else None
        except (ValueError, UnicodeDecodeError):
            entry["bytes"] = len(body)
        with self._lock:
            self.requests.append(entry)

    def _file(self, name: str, state: str, size: int = 0) -> dict:
        return {"name": name, "uri": f"{self.url}/v1/{name}", "mimeType": "video/mp4", "state": state,
                "sizeBytes": str(size)}

    def calls(self, fragment: str) -> list[dict]:
        return [r for r in self.requests if fragment in r["path"]]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def _unversioned(path: str) -> str:
    """'/v1beta/models/x' or '/v1/models/x' → '/models/x'."""
    parts = path.split("/", 2)
    return "/" + parts[2] if len(parts) > 2 and parts[1].startswith("v1") else path


def fake_vector(text: str, dim: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
    v = np.random.default_rng(seed).normal(size=dim).astype(np.float32)
    return v / np.linalg.norm(v)
