"""A workbench run in a child process on a free local port, for the browser tests and the
scripts that take screenshots and time uploads (`LocalServer`), and the way they launch the
system Chromium through Playwright (`launch_chromium`: never `playwright install`)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalServer:
    """`chithi serve` in a child process; a context manager that waits until it answers."""

    def __init__(self, data_dir: Path, *, token: str | None = None, max_upload_mb: float | None = None,
                 log: Path | None = None):
        self.data_dir, self.port = Path(data_dir), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "pipeline.cli", "serve", "--port", str(self.port), "--data", str(data_dir)]
        if token:
            self.command += ["--token", token]
        if max_upload_mb is not None:
            self.command += ["--max-upload-mb", str(max_upload_mb)]
        self.log = log or self.data_dir.with_suffix(".log")
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> LocalServer:
        root = Path(__file__).resolve().parents[2]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])))
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(self.command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=root)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the workbench exited ({self.process.returncode}): {self.log.read_text()[-2000:]}")
            try:
                urllib.request.urlopen(self.url + "/static/app.css", timeout=2).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"the workbench did not answer within 60 s: {self.log.read_text()[-2000:]}")

    def __exit__(self, *exc: Any) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch_chromium(playwright: Any) -> Any:
    """The system Chromium, headless, with no network of its own."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
