"""What the commands refuse, and what they warn about, each said once and by name.

Every case runs the real command on real files in a temporary data folder.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import DATA, EXAMPLE, copy_data, forecast_cli

INDICATOR = "no-settlement-yet"  # an indicator of the bundled question


def add(data: Path, when: str, *extra: str):
    """``forecast evidence add`` of one plain report to the bundled question."""
    return forecast_cli(
        "evidence", "add", EXAMPLE, "--data", data, "--date", when, "--indicator", INDICATOR,
        "--observed", "yes", "--source", "Wire", "--reliability", "B", "--credibility", "2", *extra,
    )  # fmt: skip


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


def test_evidence_add_refuses_a_date_after_today_unless_allow_future(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    before = log.read_bytes()
    ahead = (date.today() + timedelta(days=400)).isoformat()
    refused = add(data, ahead)
    assert refused.returncode == 1, refused.stderr
    assert f"--date {ahead} is after today" in refused.stderr and "--allow-future" in refused.stderr
    assert "the log is unchanged" in refused.stderr
    assert log.read_bytes() == before
    allowed = add(data, ahead, "--allow-future")
    assert allowed.returncode == 0, allowed.stderr
    assert f"dated {ahead}, after today" in allowed.stderr  # accepted, still with its warning
    assert log.read_bytes().startswith(before) and log.read_bytes() != before


def test_a_column_the_suite_does_not_use_is_warned_of_once_when_it_is_created_and_in_validate(
    tmp_path: Path,
) -> None:
    data = copy_data(tmp_path / "data")
    (data / "evidence" / f"{EXAMPLE}.csv").unlink()
    said = [add(data, day, "--extra", "analyst=jo") for day in ("2025-02-01", "2025-02-02", "2025-02-03")]
    assert [r.returncode for r in said] == [0, 0, 0], [r.stderr for r in said]
    warning = "column 'analyst' is not one the suite uses"
    assert [warning in r.stderr for r in said] == [True, False, False]
    validated = forecast_cli("validate", "--data", data)
    assert validated.stdout.count(warning) == 1


def test_text_null_is_refused_with_advice_to_put_the_word_in_quotes(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    path = data / "questions" / f"{EXAMPLE}.yaml"
    text = path.read_text(encoding="utf-8")
    first = text.index("    text: ")
    end = text.index("\n", first)
    path.write_text(text[:first] + "    text: Null" + text[end:], encoding="utf-8")
    line = text[:first].count("\n") + 1
    result = forecast_cli("validate", "--data", data, cwd=tmp_path)
    assert result.returncode == 1
    [said] = [s for s in result.stdout.splitlines() if f"{EXAMPLE}.yaml:{line}:" in s]
    assert "expected text, got None" in said and "put it in quotes: 'Null'" in said
    quoted = text[:first] + "    text: 'Null'" + text[end:]
    path.write_text(quoted, encoding="utf-8")
    assert f"{EXAMPLE}.yaml:{line}:" not in forecast_cli("validate", "--data", data, cwd=tmp_path).stdout


@pytest.mark.parametrize("option", ["--timeout", "--wait"])
@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "Infinity"])
def test_timeout_and_wait_refuse_numbers_that_are_not_finite(tmp_path: Path, option: str, value: str) -> None:
    result = forecast_cli("run", "--data", DATA, "--out", tmp_path / "out", f"{option}={value}", timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{option}: expected a " in result.stderr and repr(value) in result.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- dates outside their span


def test_windows_reports_and_outside_forecasts_outside_their_span_are_warned_of_where_they_are(
    tmp_path: Path,
) -> None:
    data = copy_data(tmp_path / "data")
    question = data / "questions" / f"{EXAMPLE}.yaml"
    text = question.read_text(encoding="utf-8")
    # bases-evacuated-or-seized's window, a month from opening, moved to years before the question opened.
    text = text.replace("window: [2024-12-08, 2025-01-08]", "window: [2019-01-01, 2019-02-01]")
    question.write_text(text, encoding="utf-8")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    rows = log.read_text(encoding="utf-8").splitlines()
    # A sighting of no-settlement-yet (window [2024-12-08, 2025-12-08]) dated after its window ended.
    rows.append("e900,2026-03-01,no-settlement-yet,yes,Wire,B,2,,")
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    forecasts = data / "forecasts" / f"{EXAMPLE}.csv"
    lines = forecasts.read_text(encoding="utf-8").splitlines()
    lines += [
        "1900-01-01,Typo,0.2,0.4,0.4",
        "8999-12-31,Typo,0.2,0.4,0.4",
    ]  # 8999: the last year a date may hold
    forecasts.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = forecast_cli("validate", "--data", data, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr  # warnings, not errors
    said = result.stdout.splitlines()
    window_line = text[: text.index("  bases-evacuated-or-seized:")].count("\n") + 1
    assert any(
        s.startswith(f"data/questions/{EXAMPLE}.yaml:{window_line}: warning: indicator 'bases-evacuated-or-seized' "
                     "has window [2019-01-01, 2019-02-01], which lies entirely outside")
        for s in said
    ), said  # fmt: skip
    assert any(
        s.startswith(f"data/evidence/{EXAMPLE}.csv:{len(rows)}: warning: a sighting dated 2026-03-01, after its "
                     "indicator's window [2024-12-08, 2025-12-08] ended")
        for s in said
    ), said  # fmt: skip
    # Every report of bases-evacuated-or-seized now lies after its window, and each is named.
    evacuated = [k + 1 for k, row in enumerate(rows) if ",bases-evacuated-or-seized," in row]
    assert evacuated
    for line in evacuated:
        assert any(
            s.startswith(f"data/evidence/{EXAMPLE}.csv:{line}: warning: ") and "window" in s for s in said
        )
    for line, day in ((len(lines) - 1, "1900-01-01"), (len(lines), "8999-12-31")):
        assert (
            f"data/forecasts/{EXAMPLE}.csv:{line}: warning: dated {day}, more than a year outside"
            in result.stdout
        )


# --------------------------------------------------------------------------- validate in one pass


def test_validate_reports_every_error_it_can_find_in_one_pass(tmp_path: Path) -> None:
    data = copy_data(tmp_path / "data")
    question = data / "questions" / f"{EXAMPLE}.yaml"
    text = question.read_text(encoding="utf-8")
    text = text.replace("    prior: 0.25\n", "    prior: 0.30\n", 1)  # priors now sum to 1.05
    text = text.replace("    likelihood: {keep: [0.6, 0.8], partial: 0.5, exit: 0.25}\n", "", 1)
    at = text.index("    signals:", text.index("  syria-leaders-want-russia-to-stay:"))
    text = text[:at] + "    group: nosuch\n" + text[at:]
    question.write_text(text, encoding="utf-8")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    rows = log.read_text(encoding="utf-8").splitlines() + [
        "e900,2025-13-01,no-settlement-yet,maybe,Wire,Z,2,,"
    ]
    log.write_text("\n".join(rows) + "\n", encoding="utf-8")
    forecasts = data / "forecasts" / f"{EXAMPLE}.csv"
    lines = forecasts.read_text(encoding="utf-8").splitlines() + ["2025-01-01,X,0.5,0.5,0.5"]
    forecasts.write_text("\n".join(lines) + "\n", encoding="utf-8")
    judgment = sorted((data / "judgments" / EXAMPLE).glob("*.yaml"))[0]
    judgment.write_text(judgment.read_text(encoding="utf-8") + "priors: [unclosed\n", encoding="utf-8")

    result = forecast_cli("validate", "--data", data, cwd=tmp_path)
    assert result.returncode == 1
    said = result.stdout
    q, e, f = (
        f"data/questions/{EXAMPLE}.yaml",
        f"data/evidence/{EXAMPLE}.csv",
        f"data/forecasts/{EXAMPLE}.csv",
    )
    # The question file's three errors, at once.
    assert f"{q}:" in said and "priors sum to 1.05" in said
    assert "both-bases-deal-reported.likelihood: required field is missing" in said
    assert "group 'nosuch' is not declared" in said
    # Each other file's own syntax and types, though the question is broken.
    assert f"{e}:{len(rows)}: date: '2025-13-01'" in said
    assert f"{e}:{len(rows)}: observed 'maybe'" in said and f"{e}:{len(rows)}: reliability 'Z'" in said
    assert f"{f}:{len(lines)}: probabilities sum to 1.5" in said
    assert f"data/judgments/{EXAMPLE}/{judgment.name}:" in said and "YAML syntax error" in said
    # What needs the question is said to be skipped, and why.
    for path in (e, f, f"data/judgments/{EXAMPLE}/{judgment.name}"):
        assert f"{path}: warning: skipped: the checks against the question need a valid {q}" in said


def test_an_invalid_evidence_log_does_not_hide_the_errors_of_the_judgments_and_outside_forecasts(
    tmp_path: Path,
) -> None:
    data = copy_data(tmp_path / "data")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    log.write_text(
        log.read_text(encoding="utf-8") + "e900,2025-02-01,no-such-indicator,yes,W,B,2,,\n", encoding="utf-8"
    )
    forecasts = data / "forecasts" / f"{EXAMPLE}.csv"
    forecasts.write_text(
        forecasts.read_text(encoding="utf-8") + "2025-01-01,X,0.5,0.5,0.5\n", encoding="utf-8"
    )
    result = forecast_cli("validate", "--data", data, cwd=tmp_path)
    assert result.returncode == 1
    assert "'no-such-indicator' is not in the question's checklist" in result.stdout
    assert "probabilities sum to 1.5" in result.stdout


def _posterior(data: Path, rows: list[str], as_of: date) -> dict[str, float]:
    from forecast import assess, load_evidence, load_question

    question = load_question(data / "questions" / f"{EXAMPLE}.yaml")
    log = data / "evidence" / f"{EXAMPLE}.csv"
    log.write_text("id,date,indicator,observed,source,reliability,credibility,url,summary\n" + "".join(rows))
    return dict(assess(question, load_evidence(log, question), as_of).probabilities)


def test_a_sighting_outside_its_window_counts_in_full_and_a_not_seen_before_it_counts_for_nothing(
    tmp_path: Path,
) -> None:
    """The rule of docs/nothing-lost.md, pinned by hand: w log p(s) for a sighting whatever its date,
    w log(1 - p(s) F(d)) with F = 0 before the window for a "not seen"."""
    import math

    data = copy_data(tmp_path / "data")
    # no-settlement-yet: window [2024-12-08, 2025-12-08]; the question opened on 2024-12-08.
    after = _posterior(data, ["e1,2026-03-01,no-settlement-yet,yes,Wire,B,2,,\n"], date(2026, 3, 2))
    from forecast import load_question

    question = load_question(data / "questions" / f"{EXAMPLE}.yaml")
    p = question.indicator("no-settlement-yet").likelihood
    w = 0.8 * 0.8  # B2
    logs = {s.id: math.log(s.prior) + w * math.log(p[s.id]) for s in question.scenarios}
    total = sum(math.exp(v) for v in logs.values())
    assert after == pytest.approx({s: math.exp(v) / total for s, v in logs.items()}, abs=1e-12)
    # bases-evacuated-or-seized: window [2024-12-08, 2025-01-08]. Its window moved a year on, a "not
    # seen" dated before it counts for nothing: the priors.
    text = (data / "questions" / f"{EXAMPLE}.yaml").read_text(encoding="utf-8")
    (data / "questions" / f"{EXAMPLE}.yaml").write_text(
        text.replace("window: [2024-12-08, 2025-01-08]", "window: [2025-12-08, 2026-01-08]"), encoding="utf-8"
    )
    before = _posterior(data, ["e1,2025-01-01,bases-evacuated-or-seized,no,Wire,B,2,,\n"], date(2025, 1, 2))
    assert before == pytest.approx({s.id: s.prior for s in question.scenarios}, abs=1e-12)
