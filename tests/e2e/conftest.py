"""Fixtures for the browser tests: a real `streamlit run` server and headless Chromium.

The server runs in its own process group against a database file chosen by the test, so
stopping it also stops anything Streamlit started. Every wait is bounded.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import storage

try:
    import playwright.sync_api  # noqa: F401
except ImportError:  # a test extra: CI must have it, a local checkout may not
    if os.environ.get("CI", "").lower() == "true":
        raise
    collect_ignore_glob = ["test_*.py"]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"streamlit not healthy after {START_TIMEOUT:.0f} s:\n{log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., str]]:
    """A factory: `start(db_file)` serves the app (ui/server.py) on that database and
    returns its URL."""
    processes: list[subprocess.Popen[bytes]] = []
    logs = tmp_path_factory.mktemp("streamlit-logs")

    def start(db_file: Path, env_extra: dict[str, str] | None = None) -> str:
        port = _free_port()
        log = logs / f"streamlit-{port}.log"
        env = {**os.environ, storage.DB_ENV_VAR: str(db_file), "PYTHONUNBUFFERED": "1"}
        env.update(env_extra or {})
        command = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "ui" / "server.py"),
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none", "--server.runOnSave", "false",
        ]  # fmt: skip
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True,
            )  # fmt: skip
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        _wait_healthy(url, process, log)
        return url

    yield start
    for process in processes:
        _stop(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium from the system (Playwright's own download is not used)."""
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        message = f"{CHROMIUM} is missing: install the Debian packages chromium chromium-driver"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    try:
        from playwright import sync_api
    except ImportError as exc:  # a test extra; CI installs it
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"playwright is not installed: {exc}", pytrace=False)
        pytest.skip(f"playwright is not installed: {exc}")
    executable = str(CHROMIUM) if CHROMIUM.exists() else shutil.which("chromium")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
