"""A local HTTP server speaking the Supabase Storage REST endpoints vcat uses, for tests of the real `supabase`
client: bucket get/create/list, object upload (POST, with x-upsert) and download, and folder listing.

Objects live in memory. It checks the service key like Storage does (Authorization: Bearer + apikey headers)
and can be told to fail (`fail_with = 503`) to test retries and queue job failures.
"""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

PREFIX = "/storage/v1/"


class StorageState:
    def __init__(self, key: str):
        self.key = key
        self.buckets: dict[str, dict] = {}
        self.objects: dict[tuple[str, str], tuple[bytes, str]] = {}  # (bucket, key) -> (bytes, content type)
        self.requests: list[tuple[str, str]] = []
        self.fail_with: int | None = None
        self.lock = threading.Lock()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class _Handler(BaseHTTPRequestHandler):
    server: "SupabaseStorageServer"

    def log_message(self, *args) -> None:  # quiet
        pass

    # ---- plumbing --------------------------------------------------------------------------------------------

    def _reply(self, status: int, body: object, ctype: str = "application/json") -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, http_status: int, code: str, error: str, message: str) -> None:
        self._reply(http_status, {"statusCode": code, "error": error, "message": message})

    def _body(self) -> bytes:
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _route(self) -> list[str] | None:
        st = self.server.state
        path = urlsplit(self.path).path
        st.requests.append((self.command, path))
        if not path.startswith(PREFIX):
            self._error(404, "404", "not_found", "unknown route")
            return None
        auth = self.headers.get("Authorization", "")
        if auth != f"Bearer {st.key}" or self.headers.get("apikey") != st.key:
            self._error(400, "403", "Unauthorized", "invalid signature")
            return None
        if st.fail_with:
            self._error(st.fail_with, str(st.fail_with), "Unavailable", "storage is down for maintenance")
            return None
        return [unquote(p) for p in path[len(PREFIX):].split("/")]

    # ---- verbs -----------------------------------------------------------------------------------------------

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        parts = self._route()
        if parts is None:
            return
        st = self.server.state
        if parts == ["bucket"] or parts == ["bucket", ""]:
            return self._reply(200, list(st.buckets.values()))
        if len(parts) == 2 and parts[0] == "bucket":
            b = st.buckets.get(parts[1])
            if b is None:
                return self._error(400, "404", "Bucket not found", "Bucket not found")
            return self._reply(200, b)
        if len(parts) >= 3 and parts[0] == "object":
            bucket, key = parts[1], "/".join(parts[2:])
            obj = st.objects.get((bucket, key))
            if obj is None:
                return self._error(400, "404", "not_found", "Object not found")
            return self._reply(200, obj[0], obj[1])
        self._error(404, "404", "not_found", "unknown route")

    def do_POST(self) -> None:  # noqa: N802
        parts = self._route()
        if parts is None:
            return
        st = self.server.state
        body = self._body()
        if parts == ["bucket"]:
            req = json.loads(body or b"{}")
            with st.lock:
                if req["id"] in st.buckets:
                    return self._error(400, "409", "Duplicate", "The resource already exists")
                st.buckets[req["id"]] = {"id": req["id"], "name": req.get("name") or req["id"], "owner": "",
                                         "public": bool(req.get("public")), "created_at": _now(),
                                         "updated_at": _now(), "file_size_limit": req.get("file_size_limit"),
                                         "allowed_mime_types": req.get("allowed_mime_types")}
            return self._reply(200, {"name": req["id"]})
        if len(parts) == 3 and parts[:2] == ["object", "list"]:
            return self._list(parts[2], json.loads(body or b"{}"))
        if len(parts) >= 3 and parts[0] == "object":
            bucket, key = parts[1], "/".join(parts[2:])
            if bucket not in st.buckets:
                return self._error(400, "404", "Bucket not found", "Bucket not found")
            data, ctype = _multipart_file(self.headers.get("Content-Type", ""), body)
            with st.lock:
                if (bucket, key) in st.objects and self.headers.get("x-upsert") != "true":
                    return self._error(400, "409", "Duplicate", "The resource already exists")
                st.objects[(bucket, key)] = (data, ctype)
            return self._reply(200, {"Key": f"{bucket}/{key}", "Id": f"{bucket}:{key}"})
        self._error(404, "404", "not_found", "unknown route")

    def _list(self, bucket: str, req: dict) -> None:
        st = self.server.state
        prefix = (req.get("prefix") or "").strip("/")
        prefix = prefix + "/" if prefix else ""
        names: dict[str, dict] = {}
        for (b, key), (data, ctype) in sorted(st.objects.items()):
            if b != bucket or not key.startswith(prefix):
                continue
            rest = key[len(prefix):]
            if "/" in rest:  # a folder one level down
                names.setdefault(rest.split("/", 1)[0], {"name": rest.split("/", 1)[0], "id": None,
                                                         "metadata": None})
            else:
                names[rest] = {"name": rest, "id": f"{b}:{key}", "updated_at": _now(), "created_at": _now(),
                               "metadata": {"size": len(data), "mimetype": ctype}}
        offset, limit = int(req.get("offset") or 0), int(req.get("limit") or 100)
        self._reply(200, list(names.values())[offset:offset + limit])


def _multipart_file(content_type: str, body: bytes) -> tuple[bytes, str]:
    """The `file` part of a multipart/form-data body (what the client's upload sends)."""
    msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    for part in msg.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True), part.get_content_type()
    raise ValueError("no file part in the upload")


class SupabaseStorageServer(ThreadingHTTPServer):
    """`with SupabaseStorageServer(key) as srv:` — srv.url is the project URL to give the client."""

    daemon_threads = True

    def __init__(self, key: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = StorageState(key)
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> "SupabaseStorageServer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()


if __name__ == "__main__":  # a server to try the CLI against by hand
    import sys

    with SupabaseStorageServer(sys.argv[1] if len(sys.argv) > 1 else "service-key") as srv:
        print(srv.url, flush=True)
        threading.Event().wait()
