"""The frames: the assessment as pandas DataFrames, checked against the assessment's own API,
on the bundled question and on generated ones; and the CSVs a report writes of them."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from helpers import AS_OF, DATA, EXAMPLE, copy_data, forecast_cli, read_json

import forecast
from forecast import EvidenceRow, Group, Indicator, Question, Scenario
from forecast.frames import Frames, frame_csv
from forecast.inputs.validate import load_by_id
from forecast.tables import CSV_TABLES, write_tables

OPENED = date(2025, 1, 1)


def generated(seed: int) -> tuple[Question, list[EvidenceRow], list[date]]:
    """A random question (2-5 scenarios, groups, windows, ranged likelihoods, a tripwire), its log,
    and as-of dates before, inside and after the reports."""
    rng = random.Random(seed)
    ids = [f"s{j}" for j in range(rng.randint(2, 5))]
    raw = [rng.uniform(0.2, 1) for _ in ids]
    priors = [x / sum(raw) for x in raw]
    n_ind = rng.randint(3, 9)
    indicators = []
    for k in range(n_ind):
        window = None
        if rng.random() < 0.4:
            start = OPENED + timedelta(days=rng.randint(-20, 150))
            window = (start, start + timedelta(days=rng.randint(1, 200)))
        likelihood = {s: round(rng.uniform(0.05, 0.95), 3) for s in ids}
        ranges = {}
        for s in ids:
            if rng.random() < 0.3:
                half = min(likelihood[s] - 0.01, 0.99 - likelihood[s], 0.1)
                ranges[s] = (likelihood[s] - half, likelihood[s] + half)
        indicators.append(
            Indicator(
                f"i{k}",
                f"indicator {k}",
                rng.choice(ids),
                likelihood,
                ranges=ranges,
                tripwire=k == 0,
                group="g" if k in (1, 2) else None,
                window=window,
            )
        )
    question = Question(
        id=f"generated-{seed}",
        title="Generated",
        question="Which?",
        opened=OPENED,
        closes=date(2025, 12, 31),
        scenarios=tuple(Scenario(s, s.upper(), p) for s, p in zip(ids, priors)),
        indicators=tuple(indicators),
        groups={"g": Group("g", "", rng.choice([0.0, 0.5, 1.0]))},
    )
    rows = [
        EvidenceRow(
            f"e{k}",
            OPENED + timedelta(days=rng.randint(-5, 300)),
            rng.choice(indicators).id,
            rng.random() < 0.5,
            f"source {k}",
            rng.choice("ABCDEF"),
            rng.randint(1, 6),
            summary=rng.choice(["", "=1+1", "plain"]),
            extra={"analyst": rng.choice(["a", "b"])} if k % 3 else {},
            line=k + 2,
        )
        for k in range(rng.randint(4, 40))
    ]
    return (
        question,
        rows,
        [OPENED, OPENED + timedelta(days=90), OPENED + timedelta(days=200), date(2026, 1, 5)],
    )


def cases():
    q, log = load_by_id(DATA, EXAMPLE)
    yield pytest.param(q, log, date(2025, 2, 20), id="bundled-2025-02-20")
    yield pytest.param(q, log, date(2024, 12, 20), id="bundled-2024-12-20")
    for seed in range(8):
        question, rows, as_ofs = generated(seed)
        for as_of in as_ofs:
            yield pytest.param(question, rows, as_of, id=f"generated-{seed}-{as_of}")


CASES = list(cases())


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_each_effects_column_adds_up_to_the_scenarios_move_from_its_prior(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    moved = {s.id: (a.probabilities[s.id] - s.prior) * 100 for s in question.scenarios}
    total = a.frames.effects.sum()
    for s in question.scenario_ids:
        assert total[s] == pytest.approx(moved[s], abs=1e-9)


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_the_effects_list_the_counted_reports_in_file_order(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    rows = evidence.rows if hasattr(evidence, "rows") else evidence
    assert list(a.frames.effects.index) == [r.id for r in rows if r.date <= as_of]


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_the_trajectorys_last_row_is_the_probabilities(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    frame = a.frames.trajectory
    assert isinstance(frame.index, pd.DatetimeIndex) and frame.index.name == "date"
    assert frame.index[-1] == pd.Timestamp(as_of)
    assert list(frame.columns) == list(question.scenario_ids)
    assert frame.iloc[-1].to_dict() == pytest.approx(dict(a.probabilities), abs=1e-12)
    assert len(frame) == len(a.trajectory.dates)


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_the_evidence_frame_has_one_typed_row_per_log_row(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    rows = list(evidence.rows if hasattr(evidence, "rows") else evidence)
    frame = a.frames.evidence
    assert len(frame) == len(rows)
    assert list(frame["id"]) == [r.id for r in rows]
    assert pd.api.types.is_datetime64_any_dtype(frame["date"])
    assert [d.date() for d in frame["date"]] == [r.date for r in rows]
    assert frame["observed"].dtype == bool and list(frame["observed"]) == [r.observed for r in rows]
    assert pd.api.types.is_integer_dtype(frame["credibility"])
    assert frame["weight"].dtype == np.float64
    assert list(frame["weight"]) == [question.weight(r.reliability, r.credibility) for r in rows]
    after = [r.date > as_of for r in rows]
    assert [role == "after the as-of date" for role in frame["role"]] == after
    assert set(frame["role"]) <= {
        "counted",
        "same event as a counted report",
        "adds nothing: a later look at least as strong",
        "adds nothing: an earlier, stronger look",
        "overtaken by a later report",
        "after the as-of date",
    }
    for column in {c for r in rows for c in r.extra}:
        assert list(frame[column]) == [r.extra.get(column, "") for r in rows]


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_the_checklist_matches_the_indicator_states(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    frame = a.frames.checklist
    assert list(frame.index) == [i.id for i in question.indicators]
    for ind in question.indicators:
        state, row = a.states[ind.id], frame.loc[ind.id]
        assert row["status"] == state.status_text
        assert row["weight"] == state.weight
        assert row["signals"] == ind.signals and bool(row["tripwire"]) == ind.tripwire
        latest = None if pd.isna(row["latest"]) else row["latest"].date()
        assert latest == (state.latest.date if state.latest else None)
        start, end = question.window_of(ind)
        assert (row["window_start"].date(), row["window_end"].date()) == (start, end)
        item = next(x for x in a.checklist(ind.signals) if x.state.indicator.id == ind.id)
        assert row["diagnosticity"] == item.diagnosticity


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_the_scenarios_frame_holds_the_probabilities_and_their_range(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    frame = a.frames.scenarios
    assert frame.index.name == "scenario" and list(frame.index) == list(question.scenario_ids)
    bounds = a.intervals().bounds
    for s in question.scenarios:
        row = frame.loc[s.id]
        assert (row["name"], row["short"], row["prior"]) == (s.name, s.label, s.prior)
        assert row["probability"] == a.probabilities[s.id]
        assert (row["low"], row["high"]) == bounds[s.id]
    if not a.intervals().ranged:
        assert (frame["low"] == frame["probability"]).all() and (frame["high"] == frame["probability"]).all()


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_influence_leaves_out_each_indicator_group_and_report(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    frame = a.frames.influence
    counted = [i.id for i in question.indicators if a.states[i.id].status is not None]
    assert sorted(frame.loc[frame["kind"] == "indicator", "id"]) == sorted(counted)
    assert sorted(frame.loc[frame["kind"] == "report", "id"]) == sorted(
        e.row.id for e in a.audit if e.effect is not None
    )
    for s in question.scenario_ids:
        # Points it added: with minus without, the page's sign.
        assert np.allclose(frame[f"added:{s}"], (a.probabilities[s] - frame[f"without:{s}"]) * 100, atol=1e-9)
    assert np.allclose(frame[[f"without:{s}" for s in question.scenario_ids]].sum(axis=1), 1.0)


@pytest.mark.parametrize(("question", "evidence", "as_of"), CASES)
def test_watch_lists_the_open_indicators_with_their_gain_and_both_outcomes(question, evidence, as_of):
    a = forecast.assess(question, evidence, as_of)
    frame, items = a.frames.watch, a.watch()
    assert list(frame.index) == [w.indicator for w in items]
    assert list(frame["information_bits"]) == [w.information_bits for w in items]
    for w in items:
        for s in question.scenario_ids:
            assert frame.loc[w.indicator, f"if_seen:{s}"] == w.if_observed[s]
            assert frame.loc[w.indicator, f"if_absent:{s}"] == w.if_absent[s]


def test_a_frame_is_built_once():
    a = forecast.assess(*load_by_id(DATA, EXAMPLE), date(2025, 2, 20))
    assert a.frames is a.frames and a.frames.effects is a.frames.effects


def test_text_a_spreadsheet_could_run_is_written_with_a_quote():
    frame = pd.DataFrame({"summary": ["=1+1", "plain"]}, index=pd.Index(["@x", "e2"], name="report"))
    assert frame_csv(frame).splitlines() == ["report,summary", "'@x,'=1+1", "e2,plain"]


def test_assess_does_not_import_pandas_until_the_frames_are_read():
    code = (
        "import sys, datetime, forecast\n"
        "from forecast.inputs.validate import load_by_id\n"
        f"q, log = load_by_id({str(DATA)!r}, {EXAMPLE!r})\n"
        "a = forecast.assess(q, log, datetime.date(2025, 2, 20))\n"
        "a.audit, a.intervals(), a.critical(), a.watch(), a.trajectory\n"
        "assert 'pandas' not in sys.modules, 'pandas imported by assess'\n"
        "a.frames.effects\n"
        "assert 'pandas' in sys.modules\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


# --------------------------------------------------------------------------- the CSVs of a real run


def read_csv(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.mark.slow
def test_a_run_writes_the_frames_as_csv_beside_the_summary_and_they_agree(tmp_path):
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert result.returncode == 0, result.stderr
    folder = out / EXAMPLE / AS_OF
    summary = read_json(folder / "summary.json")
    ids = summary["scenario_order"]

    scenarios = {r["scenario"]: r for r in read_csv(folder / "scenarios.csv")}
    assert list(scenarios) == ids
    for s in ids:
        assert float(scenarios[s]["probability"]) == pytest.approx(summary["probabilities"][s], abs=1e-9)
        low, high = summary["intervals"][s]
        assert float(scenarios[s]["low"]) == pytest.approx(low, abs=1e-9)
        assert float(scenarios[s]["high"]) == pytest.approx(high, abs=1e-9)

    trajectory = read_csv(folder / "trajectory.csv")
    assert trajectory[-1]["date"] == AS_OF
    assert {s: float(trajectory[-1][s]) for s in ids} == pytest.approx(summary["probabilities"], abs=1e-9)

    effects = read_csv(folder / "effects.csv")
    assert [r["report"] for r in effects] == summary["evidence_ids"]
    for s in ids:
        move = (summary["probabilities"][s] - float(scenarios[s]["prior"])) * 100
        assert sum(float(r[s]) for r in effects) == pytest.approx(move, abs=1e-6)

    checklist = {r["indicator"]: r for r in read_csv(folder / "checklist.csv")}
    assert {i: r["status"] for i, r in checklist.items()} == summary["indicator_status"]

    # The same inputs give the same bytes.
    again = tmp_path / "again"
    from forecast.publish.report import Report

    Report.load(EXAMPLE, AS_OF, data_dir=data).write_frames(again.mkdir() or again)
    for name in ("scenarios.csv", "trajectory.csv", "effects.csv", "checklist.csv"):
        assert (again / name).read_bytes() == (folder / name).read_bytes(), name


def test_the_frames_csv_are_the_bytes_the_tables_write_without_pandas(tmp_path):
    question, log = load_by_id(DATA, "russia-syria-bases")
    a = forecast.assess(question, log, date(2025, 2, 20))
    from_frames = Frames(a, draws=300, seed=7).write_csv(tmp_path / "frames")
    from_tables = write_tables(a, tmp_path / "tables", draws=300, seed=7)
    assert [p.name for p in from_frames] == [p.name for p in from_tables]
    for one, other in zip(from_frames, from_tables):
        assert one.read_bytes() == other.read_bytes(), one.name


def test_a_report_writes_its_tables_without_importing_pandas(tmp_path):
    code = (
        "import sys\n"
        "from forecast.publish.report import Report\n"
        f"r = Report.load('russia-syria-bases', '2025-02-20', data_dir={str(DATA)!r})\n"
        f"r.write_frames({str(tmp_path)!r})\n"
        "print('pandas' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(CSV_TABLES)


def test_a_table_is_written_as_each_cell_by_cell_text_whatever_its_columns_hold():
    import io

    from forecast.tables import Table, cell_text, table_csv

    rng = random.Random(7)
    n = 200
    floats = [
        rng.choice([rng.uniform(-100, 100), 0.0, -0.0, float("nan"), 1e-12, 123456789.5]) for _ in range(n)
    ]
    mixed = [
        rng.choice([1.5, 3, True, None, "=x", "text", date(2025, 1, 2), np.float64(0.25)]) for _ in range(n)
    ]
    table = Table(
        "report", [f"=r{k}" if k % 7 == 0 else f"r{k}" for k in range(n)], {"a": floats, "b": mixed}
    )
    expected = io.StringIO()
    writer = csv.writer(expected, lineterminator="\n")
    writer.writerow(["report", "a", "b"])
    for k in range(n):
        writer.writerow([cell_text(table.index[k]), cell_text(floats[k]), cell_text(mixed[k])])
    assert table_csv(table) == expected.getvalue()
