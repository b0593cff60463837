"""Every CSV the app offers goes through the export package's one neutralising function;
tables' own CSV download is switched off."""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path

import pandas as pd

from ui.widgets import csv_bytes

ROOT = Path(__file__).resolve().parent.parent


def read(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"))))


def test_csv_downloads_are_neutralised() -> None:
    frame = pd.DataFrame(
        {
            "annotator": ['=HYPERLINK("http://x")', "\x01=1+1", "bob", "-2+3"],
            "note": ["@SUM(A1)", "plain", "\t=cmd", "a\x07b"],
            "count": [1, 2, 3, 4],
            "=danger": [0.5, 0.25, 0.0, 1.0],
            "change": ["-0.34", "+0.10", "0", "-1e-3"],  # numbers formatted for people
        }
    )
    rows = read(csv_bytes(frame))
    assert rows[0] == ["annotator", "note", "count", "'=danger", "change"]
    assert [r[0] for r in rows[1:]] == ['\'=HYPERLINK("http://x")', "'=1+1", "bob", "'-2+3"]
    # Control characters go first, then the formula check (a leading \x01 hid "=1+1").
    assert [r[1] for r in rows[1:]] == ["'@SUM(A1)", "plain", "'\t=cmd", "ab"]
    assert [r[2] for r in rows[1:]] == ["1", "2", "3", "4"]  # numbers stay numbers
    assert [r[4] for r in rows[1:]] == ["-0.34", "+0.10", "0", "-1e-3"]  # signs kept


def test_tables_offer_no_download_of_their_own() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["client"]["disableDataExport"] is True
    serve = (ROOT / "cli" / "main.py").read_text(encoding="utf-8")
    assert '"--client.disableDataExport", "true"' in serve
