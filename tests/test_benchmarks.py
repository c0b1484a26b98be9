"""The benchmarks measure the right thing: the reference is the rule, and the runner writes its results.

Nothing here asserts on time; speed is what ``python -m benchmarks`` reports.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from forecast.model import EvidenceRow, Group, Indicator, Question, Scenario

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/ is not an installed package; `python -m pytest` from the root finds it, plain `pytest` may not.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.__main__ import main  # noqa: E402
from benchmarks.engine_vs_reference import check_engine_matches_reference  # noqa: E402
from benchmarks.harness import MismatchError, Target, assert_close  # noqa: E402
from benchmarks.reference import reference_assessment  # noqa: E402
from benchmarks.synthetic import make_workload  # noqa: E402

OPENED = date(2025, 1, 1)


def _question() -> Question:
    return Question(
        id="q",
        title="Q",
        question="Which?",
        opened=OPENED,
        closes=OPENED,  # an empty window: a "not seen" counts fully (F = 1)
        scenarios=(Scenario("yes", "Yes", 0.5), Scenario("no", "No", 0.5)),
        indicators=(Indicator("troops", "Troops move", "yes", {"yes": 0.8, "no": 0.2}),),
    )


def _row(k: int, day: int, observed: bool, grade: str) -> EvidenceRow:
    return EvidenceRow(
        id=f"r{k}",
        date=OPENED + timedelta(days=day),
        indicator="troops",
        observed=observed,
        source="s",
        reliability=grade[0],
        credibility=int(grade[1]),
    )


def _odds(probabilities: list[float]) -> float:
    return probabilities[0] / probabilities[1]


def test_reference_keeps_the_heaviest_weight_of_a_repeated_status() -> None:
    # Day 0: seen, A1 (w = 1). Day 1: seen again, C3 (w = 0.36): the status keeps w = 1.
    rows = [_row(1, 0, True, "A1"), _row(2, 1, True, "C3")]
    result = reference_assessment(_question(), rows, OPENED + timedelta(days=2))
    assert _odds(result.trajectory[0]) == pytest.approx(0.8 / 0.2)
    assert _odds(result.trajectory[1]) == pytest.approx(0.8 / 0.2)
    assert result.weight == {"troops": 1.0}


def test_reference_lets_a_changed_status_count_with_its_own_weight() -> None:
    # Day 2: not seen, C3 (w = 0.6 * 0.6 = 0.36): odds become (0.2 / 0.8) ** 0.36.
    rows = [_row(1, 0, True, "A1"), _row(2, 2, False, "C3")]
    result = reference_assessment(_question(), rows, OPENED + timedelta(days=3))
    assert [_odds(p) for p in result.trajectory[:2]] == pytest.approx([4.0, 4.0])
    assert _odds(result.trajectory[2]) == pytest.approx(0.25**0.36)
    assert _odds(result.probabilities) == pytest.approx(0.25**0.36)
    assert result.status == {"troops": False}


def test_reference_orders_a_days_reports_by_weight_then_row_order() -> None:
    # Same day: the heavier report (A1, not seen) is applied last, so it sets the status,
    # although the lighter one (E5, seen) comes later in the file.
    rows = [_row(1, 0, False, "A1"), _row(2, 0, True, "E5")]
    result = reference_assessment(_question(), rows, OPENED)
    assert result.status == {"troops": False}
    assert _odds(result.probabilities) == pytest.approx(0.25)


def test_reference_counts_early_reports_from_the_first_day_and_ignores_late_ones() -> None:
    rows = [_row(1, -3, True, "A1"), _row(2, 5, False, "A1")]
    result = reference_assessment(_question(), rows, OPENED + timedelta(days=4))
    assert result.dates == [OPENED + timedelta(days=k) for k in range(5)]
    assert all(_odds(p) == pytest.approx(4.0) for p in result.trajectory)


def test_reference_with_no_reports_stays_at_the_prior() -> None:
    result = reference_assessment(_question(), [], OPENED + timedelta(days=1))
    assert result.trajectory == [[0.5, 0.5], [0.5, 0.5]]
    assert math.isclose(sum(result.probabilities), 1.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_engine_and_reference_agree_on_a_small_synthetic_log(seed: int) -> None:
    # 300 reports on 30 indicators × 3 scenarios over 60 days, some dated before the
    # opening or after the as-of date; posterior and every trajectory day to 1e-9.
    workload = make_workload(300, 30, 3, 60, seed=seed, spill_days=5)
    assert any(r.date < workload.question.opened for r in workload.rows)
    assert any(r.date > workload.as_of for r in workload.rows)
    differences = check_engine_matches_reference(workload)
    assert max(differences.values()) <= 1e-9


@pytest.mark.parametrize("rho", [1.0, 0.5, 0.0])
def test_engine_and_reference_agree_with_groups_and_windows(rho: float) -> None:
    # The same log with three indicators in one group and two with windows of their own: the
    # reference is the whole rule, so the comparison stays like for like.
    workload = make_workload(300, 30, 3, 60, seed=4, spill_days=5)
    q = workload.question
    start = q.opened + timedelta(days=10)
    indicators = tuple(
        replace(
            i,
            group="g" if k < 3 else None,
            window=(start, start + timedelta(days=20)) if k in (2, 5) else None,
        )
        for k, i in enumerate(q.indicators)
    )
    question = replace(q, indicators=indicators, groups={"g": Group("g", "", rho)})
    assert any(not r.observed and r.indicator in {i.id for i in indicators[:3]} for r in workload.rows)
    differences = check_engine_matches_reference(replace(workload, question=question))
    assert max(differences.values()) <= 1e-9


def test_synthetic_workloads_are_reproducible_from_their_seed() -> None:
    first, second = make_workload(50, 5, 3, 10, seed=7), make_workload(50, 5, 3, 10, seed=7)
    assert first.rows == second.rows
    assert first.question.scenarios == second.question.scenarios


def test_a_mismatch_between_implementations_is_an_error() -> None:
    assert assert_close("same", [0.25, 0.75], [0.25, 0.75 + 1e-12]) <= 1e-9
    with pytest.raises(MismatchError, match="differ by up to"):
        assert_close("posterior", [0.25, 0.75], [0.25 + 1e-6, 0.75 - 1e-6])
    with pytest.raises(MismatchError, match="shapes differ"):
        assert_close("trajectory", [[0.5, 0.5]], [[0.5, 0.5], [0.5, 0.5]])


def test_targets_read_as_bounds() -> None:
    assert Target(">=", 50).met_by(50) and not Target(">=", 50).met_by(49.9)
    assert Target("<=", 1.5).met_by(1.5) and not Target("<=", 1.5).met_by(1.6)
    assert str(Target(">=", 50)) == "≥ 50×"
    assert str(Target("<=", 300, "MB")) == "≤ 300 MB"


def test_pgmpy_network_gives_the_engines_posterior() -> None:
    pytest.importorskip("pgmpy")
    from benchmarks.engine_vs_peer import SCENARIO, _import_pgmpy, pgmpy_network
    from forecast import posterior_as_of

    workload = make_workload(40, 8, 3, 30, seed=5)
    reference = reference_assessment(workload.question, workload.rows, workload.as_of)
    model, evidence = pgmpy_network(workload.question, reference)
    VariableElimination = _import_pgmpy()[2]
    pgmpy = VariableElimination(model).query([SCENARIO], evidence=evidence, show_progress=False).values
    engine = posterior_as_of(workload.question, workload.rows, workload.as_of)
    assert assert_close("pgmpy", pgmpy, list(engine.values())) <= 1e-9


def test_an_unknown_benchmark_name_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--only", "no-such-benchmark"]) == 2
    assert "unknown benchmark" in capsys.readouterr().err


def test_quick_run_writes_its_table_as_json(tmp_path: Path) -> None:
    out = tmp_path / "results" / "latest.json"
    run = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick", "--only", "engine-vs-reference", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    document = json.loads(out.read_text(encoding="utf-8"))
    assert {"cpu", "cores", "python", "numpy", "date"} <= set(document["machine"])
    assert document["errors"] == []
    results = document["results"]
    assert [r["benchmark"] for r in results] == ["engine-vs-reference"] * 3
    # One line carries the target; the others (columns already read, assess) inform.
    assert [r["target"] for r in results] == ["≥ 50×", None, None]
    assert isinstance(results[0]["passed"], bool) and results[1]["passed"] is None
    for result in results:
        assert result["value"] > 0 and result["ours"] > 0 and result["theirs"] > 0
        assert max(result["details"]["max_abs_difference"].values()) <= 1e-9
    assert not list(out.parent.glob("*.tmp"))
    assert "engine-vs-reference" in run.stdout


def test_a_results_file_prints_back_as_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from benchmarks.harness import Line, machine_info

    line = Line("b", "x / y", 2.0, target=Target("<=", 3), ours=0.002, theirs=0.001, what="x against y.")
    document = {"machine": machine_info(), "results": [line.as_json()]}
    path = tmp_path / "results.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assert main(["--from-json", str(path), "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| 1 | b | x / y | 2.0 ms | 1.0 ms | 2.00× | ≤ 3× | PASS |" in out
    assert "1. x against y." in out


def test_an_evidence_log_reads_its_columns_once_and_the_engine_agrees_with_rows() -> None:
    from forecast import posterior_as_of, trajectory
    from forecast.model import EvidenceLog

    workload = make_workload(200, 20, 3, 40, seed=4, spill_days=3)
    log = EvidenceLog(rows=tuple(workload.rows))
    columns = log.columns()
    assert log.columns() is columns
    assert len(columns) == len(workload.rows)
    from_log = posterior_as_of(workload.question, log, workload.as_of)
    assert from_log == posterior_as_of(workload.question, workload.rows, workload.as_of)
    path = trajectory(workload.question, log, workload.as_of)
    assert assert_close("last day", path.probabilities[-1], list(from_log.values())) <= 1e-9
