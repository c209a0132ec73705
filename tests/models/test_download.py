"""Hub downloads over real HTTP from a local server (the real hub cannot be reached here)."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from dubstudio.core.errors import Cancelled, UserError
from dubstudio.core.progress import CancelToken
from dubstudio.models import REGISTRY, install, verify
from dubstudio.models.download import download_file
from dubstudio.models.manifest import CHUNK
from dubstudio.models.paths import models_dir


class RangeHandler(SimpleHTTPRequestHandler):
    """A static file server that honours `Range: bytes=N-` (as a hub's CDN does) unless told not to."""

    honour_range = True
    ranges: list[str | None]

    def log_message(self, *_args) -> None:
        pass

    def send_head(self):
        self.ranges.append(self.headers.get("Range"))
        requested = self.headers.get("Range", "")
        if not (self.honour_range and requested.startswith("bytes=")):
            return super().send_head()
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return None
        size = path.stat().st_size
        start = int(requested.removeprefix("bytes=").split("-")[0])
        if start >= size:
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{size}")
            self.end_headers()
            return None
        stream = open(path, "rb")  # noqa: SIM115 — SimpleHTTPRequestHandler closes what send_head returns
        stream.seek(start)
        self.send_response(206)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Range", f"bytes {start}-{size - 1}/{size}")
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        return stream


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path, type[RangeHandler]]]:
    """(base URL, served folder, handler class) of an HTTP server on 127.0.0.1 for this test only."""
    root = tmp_path / "served"
    root.mkdir()
    handler = type("Handler", (RangeHandler,), {"ranges": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", root, handler
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


@pytest.fixture
def payload(server) -> tuple[str, bytes]:
    """A 3.5 MiB file on the server: its URL and content."""
    base, root, _handler = server
    data = os.urandom(3 * CHUNK + CHUNK // 2)
    (root / "weights.bin").write_bytes(data)
    return f"{base}/weights.bin", data


def test_download_reports_progress_and_checks_sha(payload, tmp_path: Path) -> None:
    url, data = payload
    seen: list[tuple[int, int | None]] = []
    dest = download_file(
        url,
        tmp_path / "out" / "weights.bin",
        sha256=hashlib.sha256(data).hexdigest(),
        progress=lambda *a: seen.append(a),
    )
    assert dest.read_bytes() == data
    assert not dest.with_name("weights.bin.part").exists()
    assert seen[-1] == (len(data), len(data))
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)


def test_cancel_keeps_the_partial_file_and_the_next_call_resumes_with_range(
    server, payload, tmp_path: Path
) -> None:
    _base, _root, handler = server
    url, data = payload
    sha = hashlib.sha256(data).hexdigest()
    dest = tmp_path / "weights.bin"
    token = CancelToken()
    with pytest.raises(Cancelled):
        download_file(url, dest, sha256=sha, cancel=token, progress=lambda done, total: token.cancel())
    part = tmp_path / "weights.bin.part"
    kept = part.stat().st_size
    assert 0 < kept < len(data)
    assert part.read_bytes() == data[:kept]
    assert not dest.exists()

    seen: list[int] = []
    download_file(url, dest, sha256=sha, progress=lambda done, total: seen.append(done))
    assert dest.read_bytes() == data
    assert handler.ranges == [None, f"bytes={kept}-"]
    assert seen[0] > kept  # counted from the bytes already on disk


def test_a_complete_partial_file_is_accepted_after_a_416(server, payload, tmp_path: Path) -> None:
    _base, _root, handler = server
    url, data = payload
    (tmp_path / "weights.bin.part").write_bytes(data)
    download_file(url, tmp_path / "weights.bin", sha256=hashlib.sha256(data).hexdigest())
    assert (tmp_path / "weights.bin").read_bytes() == data
    assert handler.ranges == [f"bytes={len(data)}-"]


def test_a_server_ignoring_range_restarts_the_file(server, payload, tmp_path: Path) -> None:
    _base, _root, handler = server
    handler.honour_range = False
    url, data = payload
    (tmp_path / "weights.bin.part").write_bytes(b"stale bytes from another file")
    download_file(url, tmp_path / "weights.bin", sha256=hashlib.sha256(data).hexdigest())
    assert (tmp_path / "weights.bin").read_bytes() == data


def test_a_corrupted_download_is_rejected_and_discarded(server, payload, tmp_path: Path) -> None:
    _base, root, _handler = server
    url, data = payload
    expected = hashlib.sha256(data).hexdigest()
    (root / "weights.bin").write_bytes(data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:])  # flipped
    with pytest.raises(UserError, match="corrupted") as caught:
        download_file(url, tmp_path / "weights.bin", sha256=expected)
    assert expected in caught.value.problem
    assert "again" in caught.value.fix
    assert not (tmp_path / "weights.bin").exists()
    assert not (tmp_path / "weights.bin.part").exists()


def test_http_errors_and_unreachable_servers_are_user_errors(server, tmp_path: Path) -> None:
    base, _root, _handler = server
    with pytest.raises(UserError, match="HTTP 404"):
        download_file(f"{base}/absent.bin", tmp_path / "absent.bin", sha256="0" * 64)
    with pytest.raises(UserError, match="download failed") as caught:
        download_file("http://127.0.0.1:9/x.bin", tmp_path / "x.bin", sha256="0" * 64, timeout=2)
    assert "run the command again" in caught.value.fix


def test_install_from_the_hub_through_a_mirror(
    server, installed_data: Path, fresh_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`install --source hub` against a mirror (HF_ENDPOINT) laid out like huggingface.co."""
    base, root, _handler = server
    spec = REGISTRY["whisper-base"]
    hub_folder = root / spec.sources[1].repo / "resolve" / "main"
    hub_folder.mkdir(parents=True)
    for file in spec.files:
        (hub_folder / file.name).symlink_to(installed_data / "models" / spec.id / file.name)
    monkeypatch.setenv("HF_ENDPOINT", base)
    folder = install(spec.id, source="hub")
    assert folder == models_dir() / spec.id
    assert verify(spec.id).ok
    assert (fresh_data / "models" / spec.id / "manifest.json").read_text().count('"source": "hub"') == 1
