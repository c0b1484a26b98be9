"""``python -m benchmarks``: run the benchmarks, print the table, write it as JSON."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from pathlib import Path

from .harness import REGISTRY, Line, Options, Target, format_markdown, format_table, machine_info

#: Modules that register benchmarks, imported in this order (which is the table's order).
MODULES = (
    "benchmarks.engine_vs_reference",
    "benchmarks.engine_vs_peer",
    "benchmarks.analysis",
    "benchmarks.scheduled_run",
    "benchmarks.airflow",
    "benchmarks.long_log",
    "benchmarks.startup",
    "benchmarks.memory",
    "benchmarks.calibration",
    "benchmarks.history",
    "benchmarks.inbox",
)
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "latest.json"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Time forecast against a reference, a peer and a floor; report ratios against targets.",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats: a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        metavar="NAME",
        help="run only this benchmark (repeatable); --list shows the names",
    )
    parser.add_argument(
        "--repeats", type=int, metavar="N", help="repeats per timing (default: per benchmark)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="PATH",
        help=f"JSON results file (default: {DEFAULT_OUT})",
    )
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument(
        "--markdown", action="store_true", help="print the table as markdown too (for benchmarks/README.md)"
    )
    parser.add_argument(
        "--from-json",
        type=Path,
        metavar="PATH",
        help="run nothing: print the table of a results file written earlier (with --markdown, as markdown)",
    )
    parser.add_argument("--strict", action="store_true", help="exit with status 1 when a target is missed")
    return parser


def _write_json(path: Path, document: dict) -> None:
    """Write ``document`` to ``path`` atomically: a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _machine_line(machine: dict) -> str:
    return (
        f"Measured on {machine['cpu']}, {machine['cores']} cores, {machine['implementation']} "
        f"{machine['python']}, numpy {machine['numpy']}, {machine['platform']}, {machine['date']}."
    )


def _lines_of(document: dict) -> list[Line]:
    """The table's lines back from a results file."""
    lines = []
    for result in document["results"]:
        target = result["target"]
        if target:
            op = ">=" if target.startswith("≥") else "<="
            bound = target[1:].strip()
            if bound.endswith("×"):
                number, unit = bound[:-1], "×"
            else:  # "300 MB", "10 s", "10 %", or a bare number
                number, _, unit = bound.partition(" ")
            target = Target(op, float(number), unit.strip())
        lines.append(
            Line(
                benchmark=result["benchmark"],
                label=result["label"],
                value=result["value"],
                unit=result["unit"],
                target=target,
                ours=result["ours"],
                theirs=result["theirs"],
                what=result["what"],
            )
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    for module in MODULES:
        importlib.import_module(module)
    if args.from_json:
        document = json.loads(args.from_json.read_text(encoding="utf-8"))
        print(_machine_line(document["machine"]))
        print((format_markdown if args.markdown else format_table)(_lines_of(document)))
        return 0
    if args.list:
        for benchmark in REGISTRY.values():
            print(f"{benchmark.name:24s} target {benchmark.target}: {benchmark.title}")
        return 0
    unknown = sorted(set(args.only or ()) - set(REGISTRY))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(REGISTRY)}", file=sys.stderr)
        return 2
    if args.repeats is not None and args.repeats < 1:
        print("--repeats must be at least 1", file=sys.stderr)
        return 2

    options = Options(quick=args.quick, repeats=args.repeats)
    selected = [b for b in REGISTRY.values() if not args.only or b.name in args.only]
    lines: list[Line] = []
    runs, errors = [], []
    for benchmark in selected:
        print(f"running {benchmark.name} (target {benchmark.target}: {benchmark.title}) ...", flush=True)
        start = time.perf_counter()
        try:
            produced = benchmark.run(options)
        except Exception:  # one broken benchmark should not hide the others' results
            errors.append({"benchmark": benchmark.name, "error": traceback.format_exc()})
            print(traceback.format_exc(), file=sys.stderr, flush=True)
            continue
        lines.extend(produced)
        runs.append(
            {"benchmark": benchmark.name, "target": benchmark.target, "seconds": time.perf_counter() - start}
        )

    print()
    print(format_table(lines))
    if args.markdown:
        print("\n" + _machine_line(machine_info()) + "\n\n" + format_markdown(lines))
    passed = [line.passed for line in lines]
    summary = {"passed": passed.count(True), "failed": passed.count(False), "errors": len(errors)}
    print(
        f"\n{summary['passed']} targets met, {summary['failed']} missed, {summary['errors']} benchmark errors"
    )
    _write_json(
        args.out,
        {
            "machine": machine_info(),
            "options": {"quick": args.quick, "repeats": args.repeats, "only": args.only},
            "summary": summary,
            "benchmarks": runs,
            "results": [line.as_json() for line in lines],
            "errors": errors,
        },
    )
    print(f"results written to {args.out}")
    if errors:
        return 1
    return 1 if args.strict and summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
