"""Analyst teams, as a specification: judgment files overlaid on the question, the logarithmic pool.

The team forecast is ``team(s) ∝ (Π_i p_i(s))^(a/N)``; each analyst's forecast is the
engine on the shared log with the question overlaid by their judgments. The numbers
are checked against an independent pure-Python re-implementation (overlay, the
update rule of docs/rule/index.md, the pool of docs/forecasters/teams.md), on questions, logs and judgments generated
here, at several as-of dates, with extremizing.
"""

from __future__ import annotations

import json
import math
import random
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from helpers import AS_OF, DATA, EXAMPLE, NOTEBOOK, copy_data, copy_data_without_team, forecast_cli

from forecast.engine.pool import log_pool, spread
from forecast.inputs.judgments import Judgment, load_judgments, overlay
from forecast.inputs.validate import load_by_id
from forecast.publish.report import Report
from forecast.team import TeamForecast

GOLDEN = Path(__file__).parent / "golden"
R = {"A": 1.0, "B": 0.8, "C": 0.6, "D": 0.4, "E": 0.2, "F": 0.5}
C = {1: 1.0, 2: 0.8, 3: 0.6, 4: 0.4, 5: 0.2, 6: 0.5}


# --------------------------------------------------------------------------- the pool by hand


def test_the_readme_worked_example_of_the_pool():
    two = [[0.6, 0.3, 0.1], [0.3, 0.5, 0.2]]
    assert log_pool(two) == pytest.approx([0.4452, 0.4064, 0.1484], abs=5e-5)
    assert log_pool(two, extremize=2) == pytest.approx([0.18 / 0.35, 0.15 / 0.35, 0.02 / 0.35], abs=1e-12)


def test_one_analyst_pooled_without_extremizing_is_that_analyst():
    assert log_pool([[0.2, 0.5, 0.3]]) == pytest.approx([0.2, 0.5, 0.3], abs=1e-15)


def test_the_pool_is_taken_in_log_space_so_tiny_probabilities_do_not_underflow():
    tiny = [[1e-200, 1 - 1e-200], [1e-200, 1 - 1e-200]] * 5  # a product of 1e-2000 in linear space
    assert log_pool(tiny)[0] == pytest.approx(1e-200, rel=1e-9)


def test_spread_is_the_highest_minus_the_lowest_analyst():
    assert spread([[0.6, 0.3, 0.1], [0.3, 0.5, 0.2], [0.5, 0.4, 0.1]]) == pytest.approx([0.3, 0.2, 0.1])


def test_extremize_must_be_positive():
    with pytest.raises(ValueError, match="extremize must be a number greater than 0"):
        log_pool([[0.5, 0.5]], extremize=0)


# --------------------------------------------------------------------------- an independent implementation


def independent_posterior(priors, likelihood, rows, as_of, groups=None):
    """The documented rule (docs/rule/index.md), written out plainly: priors and likelihoods are dicts, rows dicts.

    ``groups`` maps a group to ``(members in file order, rho)``: its members with a status
    contribute ``L_leader + (1 - rho) * sum(L_other)``, the leader having the widest spread
    ``max(L) - min(L)`` (the first on a tie).
    """
    by_indicator = {}
    for k, r in enumerate(rows):
        if r["date"] <= as_of:
            by_indicator.setdefault(r["indicator"], []).append(
                (r["date"], R[r["reliability"]] * C[r["credibility"]], k, r)
            )
    logs = {s: math.log(p) for s, p in priors.items()}
    terms = {}
    for indicator, reports in by_indicator.items():
        reports.sort(key=lambda x: (x[0], x[1], x[2]))
        status = reports[-1][3]["observed"]
        weight = 0.0
        for _, w, _, r in reversed(reports):
            if r["observed"] != status:
                break
            weight = max(weight, w)
        p = likelihood[indicator]
        terms[indicator] = {s: weight * math.log(p[s] if status else 1 - p[s]) for s in logs}
    for group, (members, rho) in (groups or {}).items():
        counted = [terms.pop(m) for m in members if m in terms]
        if counted:
            widths = [max(c.values()) - min(c.values()) for c in counted]
            leader = widths.index(max(widths))
            others = [c for k, c in enumerate(counted) if k != leader]
            terms[group] = {s: counted[leader][s] + (1 - rho) * sum(c[s] for c in others) for s in logs}
    for term in terms.values():
        for s in logs:
            logs[s] += term[s]
    top = max(logs.values())
    z = sum(math.exp(v - top) for v in logs.values())
    return {s: math.exp(v - top) / z for s, v in logs.items()}


def independent_groups(question, judgment):
    """Each group's members and rho, the analyst's rho where they gave one."""
    mine = judgment.get("dependence") or {}
    return {g: (members, mine.get(g, rho)) for g, (members, rho) in question["groups"].items()}


def independent_overlay(question, judgment):
    priors = judgment.get("priors") or question["priors"]
    likelihood = {i: dict(v) for i, v in question["likelihood"].items()}
    for i, values in (judgment.get("likelihood") or {}).items():
        likelihood[i].update(values)
    point = {
        i: {s: (sum(v) / 2 if isinstance(v, list) else v) for s, v in vs.items()}
        for i, vs in likelihood.items()
    }
    return priors, point


def independent_pool(forecasts, a):
    n = len(forecasts)
    scenarios = list(forecasts[0])
    weights = {s: math.exp(a / n * sum(math.log(f[s]) for f in forecasts)) for s in scenarios}
    total = sum(weights.values())
    return {s: w / total for s, w in weights.items()}


# --------------------------------------------------------------------------- generated data


def generated_team(seed: int, root: Path, extremize: float):
    """A question, a log and three analysts' judgment files, from a seeded generator; the data as dicts too."""
    rng = random.Random(seed)
    scenarios = [f"s{j}" for j in range(rng.randint(2, 5))]
    raw = [rng.uniform(0.05, 1) for _ in scenarios]
    priors = {s: round(x / sum(raw), 6) for s, x in zip(scenarios, raw)}
    priors[scenarios[-1]] = round(1 - sum(priors[s] for s in scenarios[:-1]), 6)
    likelihood = {}
    for k in range(rng.randint(4, 8)):
        likelihood[f"i{k}"] = {
            s: (
                sorted([round(rng.uniform(0.05, 0.95), 2), round(rng.uniform(0.05, 0.95), 2)])
                if rng.random() < 0.3
                else round(rng.uniform(0.02, 0.98), 3)
            )
            for s in scenarios
        }
    groups = {}
    if rng.random() < 0.85:
        members = sorted(rng.sample(list(likelihood), rng.randint(2, 3)), key=lambda i: int(i[1:]))
        groups["g0"] = (members, rng.choice([0.0, 0.5, 1.0, round(rng.uniform(0, 1), 2)]))
    opened = date(2024, 1, 1)
    question = {
        "id": "generated",
        "title": "Generated",
        "question": "?",
        "opened": opened.isoformat(),
        # Closing the day it opens makes every "not seen" final, as the rule written out below has it.
        "closes": opened.isoformat(),
        "pool": {"extremize": extremize},
        "scenarios": {s: {"name": s.upper(), "prior": p} for s, p in priors.items()},
        "indicators": {
            i: {"text": i, "signals": scenarios[0], "likelihood": v} for i, v in likelihood.items()
        },
    }
    for group, (members, rho) in groups.items():
        question["groups"] = {group: {"dependence": rho}}
        for m in members:
            question["indicators"][m]["group"] = group
    rows = []
    for k in range(rng.randint(5, 40)):
        rows.append(
            {
                "id": f"e{k}",
                "date": opened + timedelta(days=rng.randint(0, 90)),
                "indicator": rng.choice(list(likelihood)),
                "observed": rng.random() < 0.6,
                "source": "generated",
                "reliability": rng.choice("ABCDEF"),
                "credibility": rng.randint(1, 6),
            }
        )
    judgments = {}
    for name in ("ana", "ben", "cai"):
        j = {"note": f"{name} <b>differs</b>"}
        if rng.random() < 0.7:
            raw = [rng.uniform(0.05, 1) for _ in scenarios]
            p = {s: x / sum(raw) for s, x in zip(scenarios, raw)}
            j["priors"] = p
        j["likelihood"] = {}
        for i in rng.sample(list(likelihood), rng.randint(0, len(likelihood))):
            subset = rng.sample(scenarios, rng.randint(1, len(scenarios)))
            j["likelihood"][i] = {
                s: (
                    sorted([round(rng.uniform(0.05, 0.95), 2), round(rng.uniform(0.05, 0.95), 2)])
                    if rng.random() < 0.3
                    else round(rng.uniform(0.02, 0.98), 3)
                )
                for s in subset
            }
        if groups and rng.random() < 0.7:
            j["dependence"] = {"g0": rng.choice([0.0, 1.0, round(rng.uniform(0, 1), 2)])}
        judgments[name] = j
    data = root / "data"
    (data / "questions").mkdir(parents=True)
    (data / "evidence").mkdir()
    (data / "judgments" / "generated").mkdir(parents=True)
    (data / "questions" / "generated.yaml").write_text(yaml.safe_dump(question, sort_keys=False))
    lines = ["id,date,indicator,observed,source,reliability,credibility"]
    lines += [
        f"{r['id']},{r['date']},{r['indicator']},{'yes' if r['observed'] else 'no'},{r['source']},{r['reliability']},{r['credibility']}"
        for r in rows
    ]
    (data / "evidence" / "generated.csv").write_text("\n".join(lines) + "\n")
    for name, j in judgments.items():
        # Priors written with every digit, so that they sum to 1 within 1e-6 as the file requires.
        (data / "judgments" / "generated" / f"{name}.yaml").write_text(yaml.safe_dump(j, sort_keys=False))
    return data, {"priors": priors, "likelihood": likelihood, "groups": groups}, rows, judgments


CASES = [
    (seed, a)
    for seed, a in zip(range(101, 113), (1.0, 2.5, 0.6, 1.0, 3.0, 1.7, 1.0, 2.0, 1.0, 0.8, 1.5, 4.0))
]


@pytest.mark.parametrize(("seed", "extremize"), CASES)
def test_team_and_analysts_match_an_independent_implementation_at_several_dates(tmp_path, seed, extremize):
    data, question, rows, judgments = generated_team(seed, tmp_path, extremize)
    for as_of in (date(2024, 1, 1), date(2024, 1, 20), date(2024, 2, 15), date(2024, 4, 30)):
        report = Report.load("generated", as_of=as_of, data_dir=data, draws=50)
        summary = report.summary()
        expected_analysts = {}
        for name, j in judgments.items():
            priors, point = independent_overlay(question, j)
            groups = independent_groups(question, j)
            expected_analysts[name] = independent_posterior(priors, point, rows, as_of, groups)
        expected_team = independent_pool(list(expected_analysts.values()), extremize)
        assert set(summary["analysts"]) == set(judgments)
        for name, expected in expected_analysts.items():
            assert summary["analysts"][name] == pytest.approx(expected, abs=1e-6)
        assert summary["probabilities"] == pytest.approx(expected_team, abs=1e-6)
        # The pooled trajectory's last day is the pooled forecast.
        last = report.assessment.trajectory.at(as_of)
        assert last == pytest.approx(expected_team, abs=1e-6)


@pytest.mark.parametrize(("seed", "extremize"), CASES[:3])
def test_each_spread_driver_is_the_spread_removed_by_the_questions_value(tmp_path, seed, extremize):
    data, question, rows, judgments = generated_team(seed, tmp_path, extremize)
    as_of = date(2024, 4, 30)
    q, log = load_by_id(data, "generated")
    team = TeamForecast(q, log, load_judgments(data, q), as_of)
    forecasts = {}
    for name, j in judgments.items():
        priors, point = independent_overlay(question, j)
        forecasts[name] = independent_posterior(priors, point, rows, as_of, independent_groups(question, j))

    def total_spread(fs):
        return sum(
            max(f[s] for f in fs.values()) - min(f[s] for f in fs.values()) for s in question["priors"]
        )

    for driver in team.drivers(limit=None):
        j = json.loads(json.dumps(judgments[driver.analyst]))  # a deep copy
        if driver.key[0] in ("priors", "dependence"):
            j.pop(driver.key[0])
        else:
            j["likelihood"][driver.key[1]].pop(driver.key[2])
        priors, point = independent_overlay(question, j)
        mine = independent_posterior(priors, point, rows, as_of, independent_groups(question, j))
        reverted = dict(forecasts) | {driver.analyst: mine}
        assert driver.shrink == pytest.approx(
            (total_spread(forecasts) - total_spread(reverted)) * 100, abs=1e-6
        )


def test_an_analyst_who_changes_nothing_forecasts_as_the_question_does():
    q, _ = load_by_id(DATA, EXAMPLE)
    same = overlay(q, Judgment("nobody"))
    assert same.scenarios == q.scenarios and same.indicators == q.indicators


def test_a_value_for_a_ranged_likelihood_drops_the_range_and_a_range_sets_its_midpoint():
    q, _ = load_by_id(DATA, EXAMPLE)
    j = Judgment("x", likelihood={"both-bases-deal-reported": {"keep": 0.9, "exit": (0.1, 0.3)}})
    ind = overlay(q, j).indicator("both-bases-deal-reported")
    assert ind.likelihood == {"keep": 0.9, "partial": 0.5, "exit": pytest.approx(0.2)}
    assert ind.ranges == {"exit": (0.1, 0.3)}


# --------------------------------------------------------------------------- without judgment files


@pytest.mark.parametrize(
    ("question", "as_of"), [(EXAMPLE, AS_OF), ("harbour-bridge-reopening", "2024-10-01")]
)
def test_without_judgment_files_the_summary_is_byte_for_byte_as_before(tmp_path, question, as_of):
    data = copy_data_without_team(tmp_path / "data")
    report = Report.load(question, as_of=as_of, data_dir=data)
    written = report.write_summary(tmp_path / "summary.json")
    assert written.read_bytes() == (GOLDEN / f"{question}-{as_of}.summary.json").read_bytes()
    assert report.disagreement() is None and report.outside_forecasts() is None
    assert report.team is None


def test_the_team_view_reports_the_pool_and_each_analyst():
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=100)
    summary = report.summary()
    assert set(summary["analysts"]) == {"basil", "mira", "tomas"}
    for probabilities in summary["analysts"].values():
        assert list(probabilities) == list(summary["probabilities"])  # the same scenario keys
    pooled = log_pool([list(p.values()) for p in summary["analysts"].values()])
    assert list(summary["probabilities"].values()) == pytest.approx(pooled.tolist(), abs=1e-12)
    assert "analyst" not in summary


def test_an_analyst_view_is_that_analysts_forecast_with_the_team_beside_it():
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=100, analyst="mira")
    summary = report.summary()
    assert summary["analyst"] == "mira"
    assert summary["probabilities"] == summary["analysts"]["mira"]
    assert "mira</strong>'s own forecast" in report.bottom_line()


def test_an_unknown_analyst_is_a_one_line_error():
    from forecast.errors import ForecastError

    with pytest.raises(
        ForecastError,
        match=r"no judgment file judgments/russia-syria-bases/zed.yaml; the analysts are: basil, mira, tomas",
    ):
        Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, analyst="zed")


def test_notes_and_forecaster_names_are_escaped(tmp_path):
    data = copy_data(tmp_path / "data")
    (data / "judgments" / EXAMPLE / "basil.yaml").write_text('note: "<script>alert(1)</script>"\n')
    with (data / "forecasts" / f"{EXAMPLE}.csv").open("a") as f:
        f.write("2025-02-19,<img src=x onerror=alert(2)>,0.2,0.5,0.3\n")
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=data, draws=50)
    html = report.disagreement() + report.outside_forecasts()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html


def test_the_outside_table_sets_each_forecast_beside_the_models_of_the_same_date():
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, draws=50)
    html = report.outside_forecasts()
    team_on = report.team.trajectory.at(date(2025, 1, 25))
    assert "2025-01-25" in html and f"{team_on['partial'] * 100:.0f}%" in html
    assert "Illustrative: prediction market" in html


def test_alerts_and_moves_follow_the_team_forecast_and_each_analyst_has_a_move(tmp_path):
    first = Report.load(EXAMPLE, as_of="2025-01-05", data_dir=DATA, draws=50)
    previous = tmp_path / "reports" / EXAMPLE / "2025-01-05"
    previous.mkdir(parents=True)
    first.write_summary(previous / "summary.json")
    (previous / "report.html").write_text("<p>an earlier report</p>")
    report = Report.load(EXAMPLE, as_of=AS_OF, data_dir=DATA, reports_dir=tmp_path / "reports", draws=50)
    before, now = first.summary(), report.summary()
    moves = {s: (now["probabilities"][s] - before["probabilities"][s]) * 100 for s in now["probabilities"]}
    assert now["moves"] == pytest.approx(moves, abs=1e-9)
    assert now["alerts"] == [s for s in now["probabilities"] if abs(moves[s]) >= now["alert_threshold"]]
    assert now["alerts"]  # the team moved toward "partial" by more than 10 points
    html = report.disagreement()
    for name in ("basil", "mira", "tomas"):
        move = (now["analysts"][name]["partial"] - before["analysts"][name]["partial"]) * 100
        assert f"Partial deal (~3,000 troops) {move:+.1f}" in html


def notebook_without_team_support(dest: Path) -> Path:
    """The report notebook as it was before analyst teams: no ``analyst`` parameter, no team cells."""
    import nbformat

    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells = [c for c in nb.cells if "only-with-output" not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        lines = [line for line in cell.source.splitlines() if not line.startswith("analyst = ")]
        cell.source = "\n".join(lines).replace(" analyst=analyst,", "")
    nbformat.write(nb, dest)
    return dest


@pytest.mark.slow
def test_without_judgment_files_the_run_publishes_the_same_bytes_as_without_team_support(tmp_path):
    data = copy_data_without_team(tmp_path / "data")
    old = notebook_without_team_support(tmp_path / "update.ipynb")
    args = ("run", "--data", data, "--question", EXAMPLE, "--as-of", AS_OF)
    for out, extra in (("now", ()), ("before", ("--notebook", old))):
        result = forecast_cli(*args, "--out", tmp_path / out, *extra)
        assert result.returncode == 0, result.stderr
    for name in ("report.html", "summary.json"):
        now, before = ((tmp_path / run / EXAMPLE / AS_OF / name).read_bytes() for run in ("now", "before"))
        # papermill gives the cell it injects a fresh random id on every run, whatever the notebook.
        injected = rb'(celltag_injected-parameters" id="cell-id=)[0-9a-f-]+"'
        assert re.sub(injected, rb"\1", now) == re.sub(injected, rb"\1", before), name
    # The index says when each run was made; everything else on it is the same.
    now, before = (
        re.sub(
            r"as of the run of [0-9: -]+ UTC", "", (tmp_path / run / "index.html").read_text(encoding="utf-8")
        )
        for run in ("now", "before")
    )
    assert now == before
    assert "analysts" not in now.lower()


def test_a_dependence_for_a_question_without_groups_is_a_located_error(tmp_path):
    from forecast import load_question
    from forecast.errors import JudgmentFileError
    from forecast.inputs.judgments import load_judgment

    (tmp_path / "plain.yaml").write_text(
        "id: plain\ntitle: T\nquestion: Q?\nopened: 2024-01-01\ncloses: 2024-12-31\n"
        "scenarios: {a: {name: A, prior: 0.5}, b: {name: B, prior: 0.5}}\n"
        "indicators: {x: {text: X, signals: a, likelihood: {a: 0.7, b: 0.3}}}\n"
    )
    q = load_question(tmp_path / "plain.yaml")
    path = tmp_path / "ana.yaml"
    path.write_text("note: ok\ndependence:\n  repairs: 0.5\n")
    with pytest.raises(JudgmentFileError) as caught:
        load_judgment(path, q)
    (problem,) = caught.value.problems
    assert (problem.line, problem.message) == (
        2,
        "dependence: question 'plain' has no dependence groups; remove this key",
    )


def test_an_analysts_dependence_replaces_the_groups_rho_and_nothing_else():
    q, _ = load_by_id(DATA, EXAMPLE)
    seen = overlay(q, Judgment("x", dependence={"drawdown": 1.0}))
    assert seen.groups["drawdown"].dependence == 1.0 and q.groups["drawdown"].dependence == 0.5
    assert seen.groups["drawdown"].text == q.groups["drawdown"].text
    assert seen.indicators == q.indicators and seen.scenarios == q.scenarios


@pytest.mark.parametrize(("seed", "extremize"), CASES[:4])
def test_the_team_audit_is_the_first_analysts_with_the_pooled_effects_in_the_rules_order(
    tmp_path, seed, extremize
):
    data, _, _, _ = generated_team(seed, tmp_path, extremize)
    for as_of in (date(2024, 1, 20), date(2024, 4, 30)):
        team = Report.load("generated", as_of=as_of, data_dir=data, draws=50).team
        effects = team.pooled_effects()
        ids = team.question.scenario_ids
        expected = [
            e if e.effect is None else (e.row, e.weight, e.role, dict(zip(ids, effects[e.order])), e.order)
            for e in team.analysts[0].assessment.audit
        ]
        got = [
            e if e.effect is None else (e.row, e.weight, e.role, e.effect, e.order)
            for e in team.assessment.audit
        ]
        assert got == expected
