"""A package index on 127.0.0.1 that serves wheels from a folder, for tests of code that runs pip.

`local_index(folder)` serves PEP 503 pages (`/simple/<project>/`, links with `#sha256=`) and the
wheel files themselves over real HTTP, and yields the environment that points pip at it alone: no
configuration files, no find-links, no other index. The real registry is never asked.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


def _project(wheel: Path) -> str:
    return re.sub(r"[-_.]+", "-", wheel.name.split("-")[0]).lower()


def write_simple_index(wheels: Path, root: Path) -> None:
    """`root/simple/<project>/index.html` for every wheel in `wheels`, the files under `root/files/`."""
    files = root / "files"
    files.mkdir(parents=True, exist_ok=True)
    projects: dict[str, list[Path]] = {}
    for wheel in sorted(wheels.glob("*.whl")):
        target = files / wheel.name
        if not target.exists():
            target.symlink_to(wheel.resolve())
        projects.setdefault(_project(wheel), []).append(wheel)
    for project, members in projects.items():
        page = root / "simple" / project / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        links = "".join(
            f'<a href="/files/{html.escape(w.name)}#sha256={hashlib.sha256(w.read_bytes()).hexdigest()}">'
            f"{html.escape(w.name)}</a><br>\n"
            for w in members
        )
        page.write_text(f"<!DOCTYPE html><html><body>\n{links}</body></html>\n", encoding="utf-8")
    (root / "simple" / "index.html").write_text(
        "".join(f'<a href="/simple/{p}/">{p}</a><br>\n' for p in projects), encoding="utf-8"
    )


class _QuietHandler(SimpleHTTPRequestHandler):
    requests: list[str]

    def log_message(self, *_args) -> None:
        pass

    def send_head(self):
        self.requests.append(self.path)
        return super().send_head()


@contextmanager
def local_index(wheels: Path, root: Path) -> Iterator[tuple[dict[str, str | None], list[str]]]:
    """(environment for pip: None means unset, the paths pip requested) while the index serves `wheels`."""
    write_simple_index(wheels, root)
    handler = type("Handler", (_QuietHandler,), {"requests": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        environment: dict[str, str | None] = {
            "PIP_INDEX_URL": f"http://127.0.0.1:{server.server_address[1]}/simple/",
            "PIP_CONFIG_FILE": os.devnull,
            "PIP_RETRIES": "0",
            "PIP_NO_INDEX": None,
            "PIP_FIND_LINKS": None,
            "PIP_EXTRA_INDEX_URL": None,
        }
        yield environment, handler.requests
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
