"""The README's Python tour runs as written (on Set5 when ../shared/data is present)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.mark.shared_data
def test_readme_tour_runs(shared_data, tmp_path, monkeypatch):
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, "README has no python block"
    (tmp_path / "Set5").symlink_to(shared_data / "Set5")
    (tmp_path / "baby.png").symlink_to(shared_data / "Set5" / "HR" / "baby.png")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(blocks[0], "README.md", "exec"), namespace)  # noqa: S102 - our own README
    assert namespace["sr"].shape == namespace["hr"].shape
    assert namespace["restored"].shape == namespace["blurred"].shape
