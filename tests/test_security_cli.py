"""Operations: every CLI failure is one line, `init` leaves nothing half-made, `serve`
stops with its server, and a read-only database can still be read."""

from __future__ import annotations

import errno
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_helpers import assert_one_line_error, run

import storage

ROOT = Path(__file__).resolve().parent.parent
SOURCEDESK = [sys.executable, "-c", "from cli.main import main; main()"]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def _project(path: Path) -> None:
    db = storage.connect(path)
    storage.create_project(db, "Operations test")
    db.close()


def _cli(*args: str | Path, timeout: float = 120, **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SOURCEDESK, *map(str, args)],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kw,
    )


def _assert_one_line(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode != 0, result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


# --- Item 11: every error is one line. -----------------------------------------------


def test_a_sqlite_error_from_a_damaged_database_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "damaged.db"
    _project(path)
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(1, len(data) // page_size):  # every page but the header page
        data[page * page_size : page * page_size + 100] = b"\xa5" * 100
    path.write_bytes(bytes(data))
    _assert_one_line(_cli("status", "--db", path))


def test_deeply_nested_json_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "project.db"
    _project(path)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 200_000 + "]" * 200_000)
    # The dump reader meets Python's recursion limit: one line.
    _assert_one_line(_cli("load", deep, "--db", tmp_path / "fresh.db"), "nested too deeply")
    # The label importer's JSON reader stops at its own depth limit, a problem of the file:
    # like every import problem, one line for it, then one saying nothing was imported.
    result = _cli("import-labels", deep, "--db", path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: deep.json: not valid JSON (nested too deeply at line 1 column 202)",
        "1 problem(s); nothing was imported",
    ]


def test_a_labels_file_that_is_not_utf8_is_a_problem_of_the_file(tmp_path: Path) -> None:
    """A Latin-1 CSV (as Excel writes on some systems) is named with the byte at fault; a
    Label Studio JSON export names the line and column."""
    path = tmp_path / "project.db"
    _project(path)
    csv = tmp_path / "labels.csv"
    csv.write_bytes("text,label\nLe café est servi.,expert\n".encode("latin-1"))
    result = _cli("import-labels", csv, "--db", path)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "error: labels.csv: not UTF-8 text (invalid continuation byte at byte offset 17)",
        "1 problem(s); nothing was imported",
    ]
    export = tmp_path / "export.json"
    export.write_bytes('[{"data": {"text": "Le café"}}]'.encode("latin-1"))
    result = _cli("import-labels", export, "--db", path)
    assert result.returncode == 1
    assert result.stderr.splitlines()[0] == (
        "error: export.json: not valid JSON (invalid unicode code point at line 1 column 27)"
    )
    assert storage.totals(storage.connect(path))["documents"] == 0


def test_running_out_of_memory_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "project.db"
    _project(path)

    def exhausted(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(storage, "get_project", exhausted)
    assert_one_line_error(run("status", "--db", path), "out of memory")


def test_a_sqlite_error_raised_anywhere_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sqlite3

    path = tmp_path / "project.db"
    _project(path)

    def broken(*args: object, **kwargs: object) -> None:
        raise sqlite3.DatabaseError("database disk image is malformed")

    monkeypatch.setattr(storage, "get_project", broken)
    assert_one_line_error(run("status", "--db", path), "malformed")


def test_a_full_disk_during_a_backup_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import cli.backup

    path = tmp_path / "project.db"
    _project(path)

    def full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "copy.db"))

    monkeypatch.setattr(cli.backup, "backup", full)
    result = run("backup", tmp_path / "copy.db", "--db", path)
    assert_one_line_error(result, "No space left on device")


def _limit_file_size(limit: int) -> Any:
    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


@pytest.mark.parametrize("limit", [0, 40_000, 200_000])
def test_init_on_a_full_disk_leaves_no_half_created_file(tmp_path: Path, limit: int) -> None:
    """The file system refuses writes past `limit` bytes: at the first page, in the middle
    of the schema, or while the project is written."""
    path = tmp_path / "new.db"
    result = _cli("init", "--db", path, "--sample", preexec_fn=_limit_file_size(limit))
    _assert_one_line(result)
    assert sorted(p.name for p in tmp_path.iterdir()) == []


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real full disk: a 256 KB tmpfs (needs root; skipped otherwise)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_init_on_a_real_full_disk_leaves_nothing(tiny_tmpfs: Path) -> None:
    result = _cli("init", "--db", tiny_tmpfs / "new.db", "--sample")
    _assert_one_line(result)
    assert list(tiny_tmpfs.iterdir()) == []


# --- Item 12: serve, permissions, read-only databases. ---------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if text in cmdline and "pytest" not in cmdline:
                found.append(int(entry.name))
    return found


@pytest.mark.slow
def test_sigterm_to_serve_stops_the_streamlit_server(tmp_path: Path) -> None:
    path = tmp_path / "served.db"
    _project(path)
    port = _free_port()
    serve = subprocess.Popen(
        [*SOURCEDESK, "serve", "--db", str(path), "--port", str(port)],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            assert serve.poll() is None, "serve exited before listening"
            time.sleep(0.5)
        else:
            pytest.fail("the server never listened")
        servers = _processes_mentioning(f"--server.port {port}")
        assert servers, "no streamlit process"
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _processes_mentioning(f"--server.port {port}") and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_mentioning(f"--server.port {port}") == []
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()


def test_the_database_and_its_side_files_are_created_private(tmp_path: Path) -> None:
    result = _cli("init", "--db", tmp_path / "p.db")
    assert result.returncode == 0, result.stderr
    for name in os.listdir(tmp_path):
        assert (tmp_path / name).stat().st_mode & 0o077 == 0, name


@pytest.fixture
def read_only_copy(tmp_path: Path) -> Iterator[Path]:
    """A project on a file system mounted read-only (needs root; skipped otherwise):
    even root may not write it, so this is what a read-only database is for anyone."""
    source = tmp_path / "source.db"
    _project(source)
    db = storage.connect(source)
    storage.add_user(db, "alice")
    db.close()
    mount = tmp_path / "ro"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (not root)")
    try:
        (mount / "project.db").write_bytes(source.read_bytes())
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "project.db"
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.slow
def test_a_read_only_database_can_be_read_and_refuses_writes_in_one_line(
    read_only_copy: Path,
) -> None:
    status = _cli("status", "--db", read_only_copy)
    assert status.returncode == 0, status.stderr
    assert "Operations test" in status.stdout
    listed = _cli("users", "list", "--db", read_only_copy)
    assert listed.returncode == 0 and "alice" in listed.stdout, listed.stderr
    article = ROOT / "sample_data" / "000_7ff1cdb65df24172.txt"
    imported = _cli("import", article, "--db", read_only_copy)
    assert imported.returncode != 0
    assert "read-only" in imported.stderr and "Traceback" not in imported.stderr
