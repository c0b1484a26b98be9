"""``forecast validate`` names every file it does not read, and what it refuses or warns about (issue 22).

Every case runs the real command on real files in a temporary data folder.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from helpers import EXAMPLE, copy_data, forecast_cli


def test_every_file_in_a_judgment_folder_that_is_not_read_is_named_in_a_warning(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    folder = data / "judgments" / EXAMPLE
    analyst = sorted(folder.glob("*.yaml"))[0]
    shutil.copy(analyst, folder / "zoe.YAML")
    shutil.copy(analyst, folder / "yann.yml")
    (folder / "notes.txt").write_text("why basil differs\n", encoding="utf-8")
    result = forecast_cli("validate", "--data", data, cwd=tmp_path)
    said = result.stdout + result.stderr
    assert result.returncode == 0, said
    lines = [line for line in said.splitlines() if "not read" in line]
    assert len(lines) == 3, said
    assert any("zoe.YAML" in line and "rename it zoe.yaml" in line for line in lines)
    assert any("yann.yml" in line and "rename it yann.yaml" in line for line in lines)
    assert any("notes.txt" in line for line in lines)
