"""The ``forecast`` command: ``run``, ``validate``, ``evidence add``, ``inbox``, ``new`` and ``resolve``.

Exit status: 0 success; 1 a question failed, input is invalid or the run could
not proceed; 2 a usage error; 3 ``run --fail-on-alert`` and an alert was raised.
Input errors print as ``FILE:LINE: message``, never as a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import ForecastError

if TYPE_CHECKING:  # the command line imports what each command needs only when it runs
    from .model import EvidenceRow

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ALERT = 0, 1, 2, 3
#: Catalog repairs a run prints at most; the run's manifest lists them all.
CATALOG_NOTES_SHOWN = 5


def _iso_date(text: str) -> date:
    try:
        if len(text) != 10:
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date as YYYY-MM-DD, got {text!r}") from None


def _whole_number(at_least: int, why: str = ""):
    """An argparse type: a whole number of at least ``at_least`` (``why`` says why, in the message)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = at_least - 1
        if value < at_least:
            raise argparse.ArgumentTypeError(
                f"expected a whole number of at least {at_least}{why}, got {text!r}"
            )
        return value

    return parse


_positive_int = _whole_number(1)
#: Questions to fit on: leave-one-question-out needs two, one to fit and one to score.
_two_or_more = _whole_number(2, " (leave-one-question-out needs two questions)")


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a positive, finite number, got {text!r}")
    return value


#: Columns with options of their own; ``--extra`` fills only the others.
_OWN_OPTION_COLUMNS = (
    "id",
    "date",
    "indicator",
    "observed",
    "source",
    "reliability",
    "credibility",
    "url",
    "summary",
)


def _extra_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, such as analyst=jdoe, got {text!r}")
    if key in _OWN_OPTION_COLUMNS:
        hint = "ids are given by the tool" if key == "id" else f"use --{key}"
        raise argparse.ArgumentTypeError(f"{key!r} is not an extra column; {hint}")
    return key, value


def _seconds_to_wait(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a number of seconds, 0 or more, got {text!r}")
    return value


def _notebook(text: str) -> Path:
    """An update notebook given with ``--notebook``: a readable .ipynb file with a cell tagged ``parameters``."""
    import json

    path = Path(text)
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such notebook file: {text!r}")
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
        tagged = any("parameters" in (c.get("metadata") or {}).get("tags", []) for c in cells)
    except (OSError, UnicodeDecodeError, ValueError, AttributeError, TypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a Jupyter notebook (.ipynb JSON)") from None
    if not tagged:
        raise argparse.ArgumentTypeError(
            f"{text!r} has no cell tagged 'parameters'; copy the parameters cell of the bundled update.ipynb"
        )
    return path


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="forecast", description="Scenario forecasts that stay honest as evidence arrives."
    )
    parser.add_argument("--version", action=_VersionAction)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="execute each question's notebook and render the reports")
    run.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with questions/ and evidence/ (default: data)"
    )
    run.add_argument(
        "--out", type=Path, default=Path("reports"), help="where reports are written (default: reports)"
    )
    run.add_argument("--question", action="append", metavar="ID", help="run only this question (repeatable)")
    run.add_argument(
        "--as-of",
        type=_iso_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="forecast as of this date (default: today; a later date needs --allow-future)",
    )
    run.add_argument(
        "--allow-future",
        action="store_true",
        help="allow an --as-of date after today (a report run ahead never replaces the current one on the index)",
    )
    run.add_argument(
        "--jobs",
        type=_positive_int,
        default=1,
        metavar="N",
        help="questions run in parallel processes (default: 1)",
    )
    run.add_argument(
        "--timeout",
        type=_positive_float,
        default=600.0,
        metavar="SECONDS",
        help="stop a question's notebook after this long (default: 600)",
    )
    run.add_argument(
        "--alert-threshold",
        type=_positive_float,
        default=None,
        metavar="POINTS",
        help="a move this large since the previous report is an alert (default: the question's own, 10)",
    )
    run.add_argument(
        "--fail-on-alert", action="store_true", help="exit with status 3 when any question raised an alert"
    )
    run.add_argument(
        "--wait",
        type=_seconds_to_wait,
        default=1800.0,
        metavar="SECONDS",
        help="how long to wait for another run on the same --out (default: 1800)",
    )
    run.add_argument(
        "--notebook",
        type=_notebook,
        default=None,
        metavar="FILE",
        help="run this update notebook instead of the bundled one; it must keep the bundled notebook's "
        "cell tagged parameters (question, as_of, data_dir, reports_dir, analyst); the scorecard then "
        "runs from a scorecard.ipynb beside it, and is skipped without one",
    )

    run.add_argument(
        "--fetch",
        action="store_true",
        help="fetch DATA/sources.yaml into the inboxes first (forecast inbox fetch); a failed fetch "
        "never stops the run",
    )

    validate = commands.add_parser("validate", help="check every question file and evidence log")
    validate.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with questions/ and evidence/ (default: data)"
    )

    calibrate = commands.add_parser(
        "calibrate", help="fit the temper (how far to trust the evidence) on the resolved questions"
    )
    calibrate.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with questions/ and evidence/ (default: data)"
    )
    calibrate.add_argument("--write", action="store_true", help="write DATA/calibration.yaml")
    calibrate.add_argument(
        "--min-questions",
        type=_two_or_more,
        default=8,
        metavar="N",
        help="refuse with fewer resolved questions than this, at least 2 (default: 8)",
    )
    calibrate.add_argument(
        "--force",
        action="store_true",
        help="write the fit even where the gate holds it back (a held-out gain below its paired or jackknife "
        "standard error, or a value at an end of the searched range); the file then says forced: true",
    )

    evidence = commands.add_parser("evidence", help="work with evidence logs")
    evidence_commands = evidence.add_subparsers(dest="evidence_command", required=True, metavar="ACTION")
    add = evidence_commands.add_parser(
        "add",
        help="validate a report and append it to the question's log",
        description="Validate one report against the question and its log, and append it with a fresh id. "
        "A refused row leaves the log byte-for-byte as it was.",
    )
    add.add_argument("question", metavar="QUESTION", help="the question id: DATA/questions/QUESTION.yaml")
    add.add_argument(
        "--date", required=True, metavar="YYYY-MM-DD", help="when the fact was reported (required)"
    )
    add.add_argument(
        "--indicator",
        required=True,
        metavar="ID",
        help="an indicator id from the question's checklist (required)",
    )
    add.add_argument(
        "--observed",
        required=True,
        choices=["yes", "no"],
        help="yes: the indicator was seen; no: looked for and not seen (required)",
    )
    add.add_argument("--source", required=True, help="who reported it (required)")
    add.add_argument(
        "--reliability",
        required=True,
        metavar="A-F",
        help="Admiralty source reliability: A completely reliable ... E unreliable, F cannot be judged (required)",
    )
    add.add_argument(
        "--credibility",
        required=True,
        metavar="1-6",
        help="Admiralty information credibility: 1 confirmed ... 5 improbable, 6 cannot be judged (required)",
    )
    add.add_argument(
        "--url", default="", help="the report's address (optional; http or https becomes a link)"
    )
    add.add_argument("--summary", default="", help="the report in your own words (optional)")
    add.add_argument(
        "--extra",
        action="append",
        default=[],
        type=_extra_value,
        metavar="KEY=VALUE",
        help="a value for another column of the log, such as analyst=jdoe (repeatable; the column must "
        "be in the log's header, and a new log gets it as a column)",
    )
    add.add_argument(
        "--allow-future",
        action="store_true",
        help="accept a --date after today (without it such a date is refused, as a mistyped year)",
    )
    add.add_argument(
        "--data", type=Path, default=Path("data"), help="folder with questions/ and evidence/ (default: data)"
    )
    _inbox_parsers(commands)
    return parser


def _inbox_parsers(commands) -> None:
    """``forecast inbox fetch|list|accept|reject``, ``forecast new`` and ``forecast resolve``."""
    data_help = "folder with questions/ and evidence/ (default: data)"
    inbox = commands.add_parser(
        "inbox", help="news matched against the indicators, for you to accept or reject"
    )
    actions = inbox.add_subparsers(dest="inbox_command", required=True, metavar="ACTION")
    fetch = actions.add_parser(
        "fetch",
        help="read the feeds and article folders of DATA/sources.yaml (and any given) into the inboxes",
        description="Read every source, match each item against each open question's indicators and add "
        "the candidates to DATA/inbox/QUESTION.csv. An item already seen adds nothing. A source that cannot "
        "be read is named on one line and the others are still read: exit 0 if any was read, 1 if none.",
    )
    fetch.add_argument("--data", type=Path, default=Path("data"), help=data_help)
    fetch.add_argument(
        "--feed", action="append", default=[], metavar="URL_OR_FILE", help="a feed to read too (repeatable)"
    )
    fetch.add_argument(
        "--articles",
        action="append",
        default=[],
        metavar="DIR",
        help="a folder of .html, .htm, .txt and .eml files (repeatable)",
    )
    fetch.add_argument(
        "--question", action="append", metavar="ID", help="match only against this question (repeatable)"
    )
    fetch.add_argument(
        "--timeout",
        type=_positive_float,
        default=20.0,
        metavar="SECONDS",
        help="wait this long for an address (default: 20)",
    )
    listing = actions.add_parser("list", help="print the candidates, best first")
    listing.add_argument(
        "question", nargs="?", metavar="QUESTION", help="one question (default: every inbox)"
    )
    listing.add_argument(
        "--all", action="store_true", help="include the candidates already accepted or rejected"
    )
    listing.add_argument("--data", type=Path, default=Path("data"), help=data_help)
    accept = actions.add_parser(
        "accept",
        help="append a candidate to the question's evidence log, as evidence add does, and mark it accepted",
        description="Append one evidence row through the validated, atomic path of 'forecast evidence add'. "
        "The source is the feed's or site's name; url, date (the item's published date) and summary (the "
        "quote) come from the item unless given.",
    )
    accept.add_argument("question", metavar="QUESTION")
    accept.add_argument("id", metavar="ID", help="the candidate's id ('forecast inbox list' shows them)")
    accept.add_argument(
        "--observed",
        required=True,
        choices=["yes", "no"],
        help="yes: the indicator was seen; no: looked for and not seen (required)",
    )
    accept.add_argument(
        "--reliability", required=True, metavar="A-F", help="Admiralty source reliability (required)"
    )
    accept.add_argument(
        "--credibility", required=True, metavar="1-6", help="Admiralty information credibility (required)"
    )
    accept.add_argument(
        "--date",
        default=None,
        metavar="YYYY-MM-DD",
        help="when it was reported (default: the item's published date)",
    )
    accept.add_argument(
        "--indicator", default=None, metavar="ID", help="another indicator than the candidate's"
    )
    accept.add_argument("--summary", default=None, help="the report in your own words (default: the quote)")
    accept.add_argument("--source", default=None, help="who reported it (default: the feed's or site's name)")
    accept.add_argument("--data", type=Path, default=Path("data"), help=data_help)
    reject = actions.add_parser("reject", help="mark a candidate rejected (it is not proposed again)")
    reject.add_argument("question", metavar="QUESTION")
    reject.add_argument("id", metavar="ID")
    reject.add_argument("--data", type=Path, default=Path("data"), help=data_help)

    new = commands.add_parser(
        "new", help="start a question: a commented question file that validate accepts, and an empty log"
    )
    new.add_argument("id", metavar="ID", help="the question id (lower-case letters, digits and '-')")
    new.add_argument("--title", default="", help="the question's title")
    new.add_argument(
        "--scenarios",
        type=_scenario_ids,
        default=("yes", "no"),
        metavar="A,B,C",
        help="the scenario ids, comma-separated (default: yes,no)",
    )
    new.add_argument("--data", type=Path, default=Path("data"), help=data_help)
    resolve = commands.add_parser(
        "resolve", help="settle a question: write its resolution: block, keeping every comment"
    )
    resolve.add_argument("id", metavar="ID", help="the question id")
    resolve.add_argument("scenario", metavar="SCENARIO", help="the scenario that happened")
    resolve.add_argument(
        "--date", required=True, type=_iso_date, metavar="YYYY-MM-DD", help="when it resolved"
    )
    resolve.add_argument("--note", default="", help="how it resolved, in a sentence")
    resolve.add_argument("--data", type=Path, default=Path("data"), help=data_help)


def _scenario_ids(text: str) -> tuple[str, ...]:
    ids = tuple(part.strip() for part in text.split(","))
    if len(ids) < 2 or not all(ids) or len(set(ids)) != len(ids):
        raise argparse.ArgumentTypeError(
            f"expected two or more different scenario ids, such as a,b,c; got {text!r}"
        )
    return ids


class _VersionAction(argparse.Action):
    """``--version``: looks the version up only when asked (reading package metadata costs ~20 ms)."""

    def __init__(
        self,
        option_strings: list[str],
        dest: str = argparse.SUPPRESS,
        help: str = "show the version and exit",
    ) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, help=help)

    def __call__(self, parser: argparse.ArgumentParser, *args: object) -> None:
        from . import __version__

        print(f"{parser.prog} {__version__}")
        parser.exit()


def _validate(args: argparse.Namespace) -> int:
    from .inputs.validate import validate_data

    problems = validate_data(args.data)
    for problem in problems:
        print(problem, file=sys.stdout)
    errors = sum(p.is_error for p in problems)
    warnings = len(problems) - errors
    print(
        f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)} in {args.data}",
        file=sys.stderr,
    )
    return EXIT_FAILED if errors else EXIT_OK


def _rounded(pair: tuple[float, float] | None) -> tuple[float, float] | None:
    return None if pair is None else (round(pair[0], 6), round(pair[1], 6))


def _calibrate(args: argparse.Namespace) -> int:
    from . import __version__
    from .analysis.calibration import fit_folder, fit_table, resolved_cases
    from .inputs.calibration import check_writable, write_calibration
    from .model import Calibration

    if args.write:
        check_writable(args.data)  # before the fit: a folder in its place is said at once
    cases = resolved_cases(args.data)
    record = [case for case in cases if not case[0].illustrative]
    n, needed = len(record), args.min_questions
    if n < needed:
        what = (
            f"no resolved questions in {args.data} (a question resolves with resolution: in its file)"
            if not cases
            else f"{n} resolved question{'s' * (n != 1)}"
        )
        examples = len(cases) - n
        if examples:
            what += f" (and {examples} illustrative, left out as examples)"
        print(f"forecast: {what}; calibration needs at least {needed}", file=sys.stderr)
        return EXIT_FAILED
    fit = fit_folder(cases, needed)
    print(fit_table(fit))
    decision = fit.decision
    forced = decision.writes is None
    if forced:
        why = "; ".join(decision.reasons)
        if decision.nothing_to_learn:
            print(f"forecast: {why}: the temper stays 1", file=sys.stderr)
        if args.write and not args.force:
            print(f"forecast: not written: {why}; pass --force to write it anyway", file=sys.stderr)
            return EXIT_FAILED
        if args.write:
            print(f"warning: written under --force: {why}", file=sys.stderr)
    elif decision.reasons:
        print(f"note: {'; '.join(decision.reasons)}", file=sys.stderr)
    if args.write:
        curve = fit.temper if decision.writes == "temper" else fit.written_curve
        joint = curve is fit.joint
        t = curve
        pool = fit.extremize_gain if joint else None
        only = fit.temper
        calibration = Calibration(
            temper=t.value,
            extremize=t.extremize if joint else None,
            fitted=date.today(),
            questions=t.questions,
            log_in_sample=_rounded(t.log_in_sample),
            log_loo=_rounded(t.log_loo),
            brier_in_sample=_rounded(t.brier_in_sample),
            brier_loo=_rounded(t.brier_loo),
            version=__version__,
            temper_interval=_rounded(t.interval),
            searched=t.searched,
            log_gain_se=round(t.gain_se, 6),
            extremize_interval=_rounded(t.extremize_interval) if joint else None,
            extremize_searched=t.extremize_searched if joint else None,
            extremize_in_sample=_rounded((only.log_in_sample[1], t.log_in_sample[1])) if joint else None,
            extremize_loo=_rounded((only.log_loo[1], t.log_loo[1])) if joint else None,
            extremize_gain_se=round(pool[1], 6) if joint else None,
            forced=forced,
        )
        print(f"wrote {write_calibration(args.data, calibration)}{' (forced)' if forced else ''}")
    return EXIT_OK


def _extras(pairs: list[tuple[str, str]]) -> dict[str, str]:
    extra: dict[str, str] = {}
    for key, value in pairs:
        if key in extra:
            raise _UsageError(f"--extra {key}= is given twice")
        extra[key] = value
    return extra


class _UsageError(ForecastError):
    """A usage error found after parsing (exit status 2)."""


def _evidence_add(args: argparse.Namespace) -> int:
    from .errors import EvidenceWriteError, InvalidInputError
    from .inputs.append import append_evidence

    try:
        row, warnings = append_evidence(
            args.data,
            args.question,
            date=args.date,
            indicator=args.indicator,
            observed=args.observed,
            source=args.source,
            reliability=args.reliability,
            credibility=args.credibility,
            url=args.url,
            summary=args.summary,
            extra=_extras(args.extra),
            allow_future=args.allow_future,
        )
    except InvalidInputError as exc:
        _print_problems(exc.problems)
        print("the row was not added; the log is unchanged", file=sys.stderr)
        return EXIT_FAILED
    except EvidenceWriteError as exc:
        print(f"forecast: {exc}; the row was not added, the log is unchanged", file=sys.stderr)
        return EXIT_FAILED
    _print_problems(warnings)
    print(_added(row))
    return EXIT_OK


def _print_problems(problems: Iterable[object]) -> None:
    """Each problem (``FILE:LINE: message``) on a line of its own, on standard error."""
    for problem in problems:
        print(problem, file=sys.stderr)


def _added(row: EvidenceRow) -> str:
    """The line saying a row was added to a log: its id, date, indicator, observation and grade."""
    return f"added {row.id} ({row.date}, {row.indicator}, {'yes' if row.observed else 'no'}, {row.grade})"


def _print_fetch(result) -> None:
    for message in result.skipped:
        print(f"forecast: inbox: {message}", file=sys.stderr)
    for message in result.failed:
        print(f"forecast: inbox: {message}", file=sys.stderr)
    added = sum(result.added.values())
    by_question = ", ".join(f"{q} {n}" for q, n in sorted(result.added.items()) if n)
    print(
        f"read {result.read} of {result.sources} source{'s' * (result.sources != 1)}, {result.items} "
        f"item{'s' * (result.items != 1)}; {added} new candidate{'s' * (added != 1)}"
        + (f" ({by_question})" if by_question else "")
    )


def _inbox(args: argparse.Namespace) -> int:
    from .errors import EvidenceWriteError, InvalidInputError
    from .inbox import accept, fetch_inbox, read_inbox, reject
    from .inputs.validate import question_ids

    try:
        if args.inbox_command == "fetch":
            result = fetch_inbox(
                args.data,
                feeds=args.feed,
                articles=args.articles,
                questions=args.question,
                timeout=args.timeout,
            )
            if not result.sources:
                print(f"no sources: nothing to fetch (list them in {args.data / 'sources.yaml'})")
                return EXIT_OK
            _print_fetch(result)
            return EXIT_OK if result.read else EXIT_FAILED
        if args.inbox_command == "list":
            shown = 0
            for qid in [args.question] if args.question else question_ids(args.data):
                rows = [r for r in read_inbox(args.data, qid) if args.all or r.status == "new"]
                if rows:
                    print(f"{qid}:")
                for r in rows:
                    mark = "" if r.status == "new" else f" [{r.status}]"
                    print(
                        f"  {r.id}  {r.score:.2f}  {r.indicator}  {r.published or '----------'}  {r.title}{mark}"
                    )
                    print(f"        {r.quote}")
                    if r.url:
                        print(f"        {r.url}")
                shown += len(rows)
            if not shown:
                print("the inbox is empty" if not args.all else "no candidates")
            return EXIT_OK
        if args.inbox_command == "reject":
            row = reject(args.data, args.question, args.id)
            print(f"rejected {row.id} ({row.indicator}: {row.title})")
            return EXIT_OK
        evidence, warnings, row = accept(
            args.data,
            args.question,
            args.id,
            observed=args.observed,
            reliability=args.reliability,
            credibility=args.credibility,
            date=args.date,
            indicator=args.indicator,
            summary=args.summary,
            source=args.source,
        )
    except InvalidInputError as exc:
        _print_problems(exc.problems)
        if args.inbox_command == "accept":
            print("the row was not added; the log and the inbox are unchanged", file=sys.stderr)
        return EXIT_FAILED
    except EvidenceWriteError as exc:
        print(f"forecast: {exc}; nothing was changed", file=sys.stderr)
        return EXIT_FAILED
    _print_problems(warnings)
    print(f"{_added(evidence)}; candidate {row.id} accepted")
    return EXIT_OK


def _new(args: argparse.Namespace) -> int:
    from .errors import InvalidInputError
    from .inputs.lifecycle import new_question

    try:
        path, log = new_question(args.data, args.id, title=args.title, scenarios=args.scenarios)
    except InvalidInputError as exc:
        _print_problems(exc.problems)
        return EXIT_FAILED
    print(f"wrote {path} and {log}; edit the question file, then 'forecast validate --data {args.data}'")
    return EXIT_OK


def _resolve(args: argparse.Namespace) -> int:
    from .errors import InvalidInputError
    from .inputs.lifecycle import resolve_question

    try:
        question = resolve_question(args.data, args.id, args.scenario, date=args.date, note=args.note)
    except InvalidInputError as exc:
        _print_problems(exc.problems)
        print("the question file is unchanged", file=sys.stderr)
        return EXIT_FAILED
    r = question.resolution
    print(f"resolved {question.id}: {question.scenario(r.scenario).name} on {r.date}")
    return EXIT_OK


def _fetch_before_run(data_dir: Path) -> None:
    """``run --fetch``: fill the inboxes first; a fetch that fails is said and the run goes on."""
    try:
        from .inbox import fetch_inbox

        result = fetch_inbox(data_dir)
    except Exception as exc:
        print(f"forecast: inbox: the fetch failed ({exc}); the run goes on", file=sys.stderr)
        return
    if result.sources:
        _print_fetch(result)


def _run(args: argparse.Namespace) -> int:
    from .schedule.worker import start_server

    start_server()  # first: the server that forks the workers starts while the rest is imported
    from .schedule.run import RunOptions, run

    if args.fetch:
        _fetch_before_run(args.data)
    options = RunOptions(
        data_dir=args.data,
        out_dir=args.out,
        questions=args.question,
        as_of=args.as_of or date.today(),
        jobs=args.jobs,
        timeout=args.timeout,
        lock_timeout=args.wait,
        alert_threshold=args.alert_threshold,
        progress=sys.stderr.isatty(),
        allow_future=args.allow_future,
    )
    if args.notebook is not None:
        options.notebook = args.notebook
    result = run(options)
    for outcome in result.failed:
        print(f"forecast: {outcome.question}: {outcome.reason}", file=sys.stderr)
    for outcome in result.alerts:
        line = outcome.alert_line or f"{outcome.question}: {', '.join(outcome.alerts)}"
        print(f"forecast: alert: {line}", file=sys.stderr)
    for note in result.catalog[:CATALOG_NOTES_SHOWN]:
        print(f"forecast: catalog: {note}", file=sys.stderr)
    if len(result.catalog) > CATALOG_NOTES_SHOWN:
        more = len(result.catalog) - CATALOG_NOTES_SHOWN
        print(f"forecast: catalog: and {more} more, listed in {result.manifest}", file=sys.stderr)
    print(result.index)
    if result.failed:
        return EXIT_FAILED
    if args.fail_on_alert and result.alerts:
        return EXIT_ALERT
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Run the ``forecast`` command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if (
        args.command == "run"
        and args.as_of is not None
        and args.as_of > date.today()
        and not args.allow_future
    ):
        parser.error(
            f"--as-of {args.as_of} is after today ({date.today()}); pass --allow-future to forecast ahead"
        )
    handler = {
        "run": _run,
        "validate": _validate,
        "evidence": _evidence_add,
        "calibrate": _calibrate,
        "inbox": _inbox,
        "new": _new,
        "resolve": _resolve,
    }[args.command]
    try:
        return handler(args)
    except _UsageError as exc:  # before ForecastError, which it is
        print(f"forecast: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except ForecastError as exc:
        print(f"forecast: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("forecast: interrupted; the last good reports are untouched", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
