"""A question's whole life from the command line: ``forecast new`` starts it, ``forecast resolve`` settles it."""

from __future__ import annotations

from helpers import EXAMPLE, copy_data_without_team, forecast_cli


def test_new_writes_a_commented_question_that_validate_accepts_and_an_empty_log(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    result = forecast_cli(
        "new", "--data", data, "dam", "--title", "Will the dam hold", "--scenarios", "hold,breach,partial"
    )
    assert result.returncode == 0, result.stderr
    text = (data / "questions" / "dam.yaml").read_text(encoding="utf-8")
    assert text.startswith("id: dam\n") and "\n# " in text
    assert "hold:" in text and "breach:" in text and "partial:" in text
    assert (
        data / "evidence" / "dam.csv"
    ).read_text() == "id,date,indicator,observed,source,reliability,credibility,url,summary\n"
    checked = forecast_cli("validate", "--data", data)
    assert checked.returncode == 0, checked.stdout
    assert "dam.yaml" not in checked.stdout  # not even a warning


def test_new_refuses_a_question_that_exists(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    before = (data / "questions" / f"{EXAMPLE}.yaml").read_bytes()
    result = forecast_cli("new", "--data", data, EXAMPLE)
    assert result.returncode == 1 and "already exists" in result.stderr
    assert (data / "questions" / f"{EXAMPLE}.yaml").read_bytes() == before


def test_new_refuses_an_id_that_is_not_a_slug(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    result = forecast_cli("new", "--data", data, "Not An Id")
    assert result.returncode == 1 and "not a question id" in result.stderr
    assert not (data / "questions" / "Not An Id.yaml").exists()


def test_resolve_adds_the_resolution_and_keeps_every_byte_before_it(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    before = path.read_text(encoding="utf-8")
    result = forecast_cli(
        "resolve", "--data", data, EXAMPLE, "partial", "--date", "2027-06-30", "--note", 'A "capped" deal'
    )
    assert result.returncode == 0, result.stderr
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before)  # every comment kept
    assert (
        after[len(before) :]
        == 'resolution:\n  scenario: partial\n  date: 2027-06-30\n  note: "A \\"capped\\" deal"\n'
    )
    assert forecast_cli("validate", "--data", data).returncode == 0
    from forecast import load_question

    resolution = load_question(path).resolution
    assert (resolution.scenario, str(resolution.date), resolution.note) == (
        "partial",
        "2027-06-30",
        'A "capped" deal',
    )


def test_resolve_refuses_an_unknown_scenario_and_leaves_the_file(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    before = path.read_bytes()
    result = forecast_cli("resolve", "--data", data, EXAMPLE, "stay", "--date", "2027-06-30")
    assert result.returncode == 1
    assert "'stay' is not a scenario; expected one of keep, partial, exit" in result.stderr
    assert path.read_bytes() == before


def test_resolve_refuses_a_date_before_opened(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    before = path.read_bytes()
    result = forecast_cli("resolve", "--data", data, EXAMPLE, "exit", "--date", "2024-01-01")
    assert result.returncode == 1 and "before opened 2024-12-08" in result.stderr
    assert path.read_bytes() == before


def test_resolve_refuses_a_question_already_resolved(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    assert forecast_cli("resolve", "--data", data, EXAMPLE, "exit", "--date", "2027-06-30").returncode == 0
    path = data / "questions" / f"{EXAMPLE}.yaml"
    before = path.read_bytes()
    again = forecast_cli("resolve", "--data", data, EXAMPLE, "keep", "--date", "2027-06-30")
    assert again.returncode == 1 and "already resolved (exit on 2027-06-30)" in again.stderr
    assert path.read_bytes() == before
