"""Nothing lost, whatever the input: the output folder, the evidence log, and values read as written.

Each test names the promise it checks: a clean ``FILE:LINE`` or one-line message
(never a traceback), the exit status, nothing lost or changed that the command
did not create, and the other questions still reported. Every case runs the real
command on real files.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import math
import os
import re
import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from helpers import AS_OF, DATA, EXAMPLE, copy_data, forecast_cli, read_json, tree_digest

from forecast import load_evidence, load_question
from forecast.inputs.append import lock_path
from forecast.inputs.evidence import MAX_EVIDENCE_BYTES
from forecast.publish.render import index_page
from forecast.store import LOCKS, MARKER, PARTIAL_SUFFIX, WORK, atomic_writer, check_out_dir, recover

# --------------------------------------------------------------------------- helpers


def everything(folder: Path) -> dict[str, str]:
    """Every entry below ``folder``: files with their digest, folders and links marked, so moves show."""
    entries = tree_digest(folder)
    for p in folder.rglob("*"):
        if p.is_symlink():
            entries[str(p.relative_to(folder))] = f"-> {os.readlink(p)}"
        elif p.is_dir():
            entries[str(p.relative_to(folder)) + "/"] = "folder"
    return entries


def plant_foreign_files(folder: Path) -> None:
    """What a user keeps in a folder, named like the scratch space and leftovers of a run."""
    for name, text in {
        ".work/draft.txt": "a draft",
        ".notes.tmp": "notes",
        ".index.html.tmp": "not a run's temporary file",
        ".index.html.mine.tmp": "named like one, but a user's",
        ".forecast-out.mine.tmp": "named like the marker's, but a user's",
        "runs/.old.json.mine.tmp": "named like a manifest's, but a user's",
        "photos/.trash/holiday.jpg": "jpeg",
        "photos/.trash/album.2023/one.jpg": "jpeg",
        "cron.log": "06:15 ok\n",
        "runs/.notes.tmp": "mine",
    }.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (folder / "lost+found").mkdir(exist_ok=True)


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file, read in blocks (a sparse 64 MiB log costs no memory)."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def one_line(result) -> bool:
    return "Traceback" not in result.stdout + result.stderr and result.stderr.count("\n") == 1


# --------------------------------------------------------------------------- the output folder


def test_a_run_refuses_a_folder_that_holds_other_files_and_touches_nothing_in_it(tmp_path):
    """Promise: a non-empty folder without the marker or earlier reports is refused in one line, exit 1,
    and nothing in it is deleted, moved or added."""
    site = tmp_path / "site"
    plant_foreign_files(site)
    before = everything(site)
    result = forecast_cli("run", "--data", copy_data(tmp_path / "data"), "--out", site, "--question", EXAMPLE)
    assert result.returncode == 1 and one_line(result), result.stderr
    assert result.stderr.startswith(
        f"forecast: the output folder {site} holds other files and no forecast reports"
    )
    assert everything(site) == before


def test_a_folder_that_looks_like_the_root_of_a_system_is_refused(tmp_path):
    """Promise: `--out /` (here a folder shaped like it) writes nothing: it is not an output folder."""
    root = tmp_path / "root"
    for name in ("bin", "etc", "usr", ".work"):
        (root / name).mkdir(parents=True)
    (root / ".work" / "keep.txt").write_text("keep", encoding="utf-8")
    before = everything(root)
    with pytest.raises(Exception, match="holds other files and no forecast reports"):
        check_out_dir(root)
    result = forecast_cli(
        "run", "--data", copy_data(tmp_path / "data"), "--out", root, "--question", "no-such"
    )
    assert result.returncode == 1 and one_line(result)
    assert everything(root) == before


@pytest.mark.parametrize("contents", [[], ["lost+found"]], ids=["empty", "a new file system"])
def test_a_run_uses_an_empty_folder_and_marks_it(tmp_path, contents):
    """Promise: an empty folder (or one holding only lost+found) is used, marked, and lost+found is kept."""
    out = tmp_path / "out"
    out.mkdir()
    for name in contents:
        (out / name).mkdir()
    result = forecast_cli(
        "run", "--data", copy_data(tmp_path / "data"), "--out", out, "--question", "no-such"
    )
    assert result.returncode == 1  # the unknown question fails; the folder is still the run's
    assert (out / MARKER).is_file() and (out / "index.html").is_file()
    assert all((out / name).is_dir() for name in contents)


def test_recover_touches_only_what_runs_create(tmp_path):
    """Promise: cleaning up after a killed run deletes and moves only the run's own scratch space."""
    out = tmp_path / "out"
    plant_foreign_files(out)
    (out / "question" / ".trash" / "2025-02-20.0123456789abcdef0123456789abcdef").mkdir(parents=True)
    before = everything(out)
    scratch = out / WORK / "run-id" / "question"
    scratch.mkdir(parents=True)
    (out / f".index.html.abc123{PARTIAL_SUFFIX}").write_text("half an index", encoding="utf-8")
    recover(out)
    # Clean-up takes each question's lock, so forecast's own lock files may appear; nothing else changes.
    assert {k: v for k, v in everything(out).items() if not k.startswith(f"{LOCKS}/")} == before


def test_recover_deletes_an_interrupted_write_of_the_index_and_keeps_a_look_alike(tmp_path):
    """Promise: clean-up finds a run's temporary files by the exact name its writer gives them, so a
    user's ``.index.html.mine.tmp`` beside a killed write of the index survives, and the partial goes."""
    out = tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("marker", encoding="utf-8")
    (out / ".index.html.mine.tmp").write_text("mine", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt), atomic_writer(out / "index.html") as handle:
        handle.write(b"half an index")
        (partial,) = (p for p in out.iterdir() if p.name.endswith(PARTIAL_SUFFIX))
        shutil.copy(partial, out / "kept-partial")  # what a kill at this moment would leave
        raise KeyboardInterrupt
    (out / "kept-partial").rename(partial)
    recover(out)
    assert not partial.exists()
    assert (out / ".index.html.mine.tmp").read_text(encoding="utf-8") == "mine"


def test_a_folder_an_earlier_version_wrote_is_adopted_and_its_foreign_files_left_alone(tmp_path):
    """Promise: OUT with index.html and runs/*.json but no marker is adopted (marked); cron.log, lost+found,
    a .work or .trash of the user's own are neither deleted nor moved."""
    out = tmp_path / "out"
    (out / "runs").mkdir(parents=True)
    (out / "index.html").write_text("<!doctype html><title>old</title>", encoding="utf-8")
    (out / "runs" / "20250101T000000.000000Z.json").write_text("{}", encoding="utf-8")
    plant_foreign_files(out)
    before = {k: v for k, v in everything(out).items() if k != "index.html"}
    result = forecast_cli(
        "run", "--data", copy_data(tmp_path / "data"), "--out", out, "--question", "no-such"
    )
    assert result.returncode == 1 and one_line(result)  # the unknown question, and nothing else
    assert (out / MARKER).is_file()
    after = everything(out)
    assert {k: after.get(k) for k in before} == before


@pytest.mark.slow
def test_a_marked_folder_with_foreign_files_gets_its_report_and_keeps_them(tmp_path):
    """Promise: a real run publishes into OUT beside a user's files and leaves each byte for byte."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    out.mkdir()
    (out / MARKER).write_text("forecast\n", encoding="utf-8")
    plant_foreign_files(out)
    before = everything(out)
    for _ in range(2):  # the second run replaces the first's report: sets it aside, then removes it
        result = forecast_cli("run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF)
        assert result.returncode == 0, result.stderr
    after = everything(out)
    assert {k: after.get(k) for k in before} == before
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    assert not (out / WORK).exists()


def test_a_question_whose_id_is_runs_is_refused_on_its_line(tmp_path):
    """Promise: an id equal to a name OUT keeps for itself is a located error; nothing is written under runs/."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    text = (data / "questions" / f"{EXAMPLE}.yaml").read_text(encoding="utf-8")
    (data / "questions" / "runs.yaml").write_text(re.sub(r"(?m)^id: .*$", "id: runs", text, count=1))
    line = text[: re.search(r"(?m)^id: ", text).start()].count("\n") + 1
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 1
    assert (
        f"{data / 'questions' / 'runs.yaml'}:{line}: id 'runs' is a name the output folder keeps"
        in result.stdout
    )
    result = forecast_cli("run", "--data", data, "--out", out, "--question", "runs")
    assert result.returncode == 1 and "forecast: runs: " in result.stderr
    assert [p.suffix for p in (out / "runs").iterdir()] == [".json"]  # the manifest, and no report


# --------------------------------------------------------------------------- dates


def test_an_as_of_date_after_today_is_a_usage_error(tmp_path):
    """Promise: `--as-of` after today exits 2 at once with one line, unless --allow-future is given."""
    out = tmp_path / "out"
    later = (date.today() + timedelta(days=1)).isoformat()
    for as_of in (later, "2052-02-20", "9999-12-31"):
        result = forecast_cli("run", "--data", DATA, "--out", out, "--as-of", as_of)
        assert result.returncode == 2 and "Traceback" not in result.stderr
        assert f"--as-of {as_of} is after today" in result.stderr and "--allow-future" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("as_of", ["0001-01-01", "0001-01-02"])
def test_an_as_of_date_in_year_one_gets_its_report_and_chart(tmp_path, as_of):
    """Promise: the earliest dates `--as-of` accepts are reported (exit 0, a chart), not a matplotlib
    ValueError: a one-day trajectory is drawn with a day's margin that never leaves years 1 to 9999."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    result = forecast_cli("run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", as_of)
    assert result.returncode == 0, result.stderr
    page = (out / EXAMPLE / as_of / "report.html").read_text(encoding="utf-8")
    assert "<svg" in page and 'role="img"' in page


def _summary(folder: Path, as_of: str, leading: str) -> None:
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(
        f'{{"as_of": "{as_of}", "title": "T", "probabilities": {{"a": 0.7, "b": 0.3}}, "leading": "{leading}"}}',
        encoding="utf-8",
    )


def test_a_future_report_never_shadows_the_current_one_on_the_index(tmp_path):
    """Promise: the index shows the newest report not dated after today; one run ahead is listed, not current."""
    out = tmp_path / "out"
    _summary(out / "q" / "2025-02-20", "2025-02-20", "a")
    _summary(out / "q" / "2052-02-20", "2052-02-20", "b")
    page = index_page(out)
    assert 'href="q/2025-02-20/report.html"' in page
    current = page.index('href="q/2025-02-20/report.html"')
    assert page.index('href="q/2052-02-20/report.html"') > current  # listed among the other reports


@pytest.mark.slow
def test_a_report_run_ahead_with_allow_future_stays_off_the_front_of_the_index(tmp_path):
    """Promise: `--allow-future` runs a future date, and the current report stays the index's latest."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    for extra in ([], ["--allow-future"]):
        as_of = AS_OF if not extra else "2046-02-20"  # within 20 years of closes (2027-06-30)
        result = forecast_cli(
            "run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", as_of, *extra
        )
        assert result.returncode == 0, result.stderr
    index = (out / "index.html").read_text(encoding="utf-8")
    card = index[index.index(f'href="{EXAMPLE}/') :]
    assert card.startswith(f'href="{EXAMPLE}/{AS_OF}/report.html"')
    assert f'href="{EXAMPLE}/2046-02-20/report.html"' in index


@pytest.mark.parametrize("wait", ["nan", "-5", "inf", "soon"])
def test_wait_must_be_a_finite_number_of_seconds(tmp_path, wait):
    """Promise: `--wait nan` or `--wait -5` is a usage error (exit 2) at once, never a wait forever."""
    result = forecast_cli("run", "--data", DATA, "--out", tmp_path / "out", "--wait", wait, timeout=30)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"--wait: expected a number of seconds, 0 or more, got '{wait}'" in result.stderr
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- YAML values as written

BINARY = """\
id: binary
title: 2025
question: Will it rain on the day?
opened: 2025-01-01
closes: 2025-12-31
scenarios:
  yes: {name: Yes, description: On, prior: 0.5}
  no: {name: No, prior: .5}
indicators:
  clouds:
    text: 1.10
    signals: yes
    likelihood: {yes: 0.8, no: 0.3}
    tripwire: yes
"""


def test_scenarios_named_yes_and_no_keep_their_names_and_ids(tmp_path):
    """Promise: YAML 1.2 core schema: Yes, No, On stay text, and text fields keep numbers as written."""
    (tmp_path / "questions").mkdir()
    (tmp_path / "questions" / "binary.yaml").write_text(BINARY, encoding="utf-8")
    question = load_question(tmp_path / "questions" / "binary.yaml")
    assert [(s.id, s.name, s.description) for s in question.scenarios] == [
        ("yes", "Yes", "On"),
        ("no", "No", ""),
    ]
    assert question.title == "2025" and question.indicators[0].text == "1.10"
    assert question.indicators[0].signals == "yes" and question.indicators[0].tripwire is True
    assert [s.prior for s in question.scenarios] == [0.5, 0.5]
    assert forecast_cli("validate", "--data", tmp_path).returncode == 0


@pytest.mark.parametrize(
    ("written", "value"),
    [("0.25", 0.25), ("1e-1", 0.1), ("012", 12), ("0x10", 16), ("0o10", 8), ("true", True), ("off", "off"),
     ("Yes", "Yes"), ("~", None), ("1:20", "1:20"), ("1_000", "1_000")],
)  # fmt: skip
def test_plain_values_are_read_by_the_yaml_1_2_core_schema(written, value):
    """Promise: plain scalars resolve as YAML 1.2's core schema says, not as YAML 1.1 (sexagesimal, yes/no, octal)."""
    import yaml

    from forecast.inputs.safe_yaml import SafeLoader

    assert yaml.load(f"v: {written}\n", Loader=SafeLoader) == {"v": value}


# --------------------------------------------------------------------------- evidence add


@pytest.fixture
def data(tmp_path):
    return copy_data(tmp_path / "data")


def log_of(data: Path) -> Path:
    return data / "evidence" / f"{EXAMPLE}.csv"


def add(
    data: Path, *extra: str | bytes, env: dict | None = None, **fields: str
) -> subprocess.CompletedProcess:
    fields = {"date": "2025-02-21", "indicator": "no-settlement-yet", "observed": "yes", "source": "Wire",
              "reliability": "C", "credibility": "3", **fields}  # fmt: skip
    args = [sys.executable, "-m", "forecast", "evidence", "add", EXAMPLE, "--data", str(data), *extra]
    for key, value in fields.items():
        args.append(f"--{key}={value}")
    return subprocess.run(
        args, capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL
    )


def rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_twenty_concurrent_adds_from_shells_with_different_temp_folders_all_land(data, tmp_path):
    """Promise: every writer of one log shares the lock beside it, so no row is lost and no id repeats."""
    before = rows(log_of(data))
    writers = []
    for k in range(20):
        tmp = tmp_path / f"tmp{k}"
        tmp.mkdir()
        env = {**os.environ, "TMPDIR": str(tmp)}
        args = [sys.executable, "-m", "forecast", "evidence", "add", EXAMPLE, "--data", str(data), "--date",
                "2025-02-21", "--indicator", "no-settlement-yet", "--observed", "yes", "--source", f"writer {k}",
                "--reliability", "C", "--credibility", "3"]  # fmt: skip
        writers.append(
            subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        )
    outputs = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0] * 20, outputs
    assert all(out.startswith("added ") for out, _ in outputs)
    after = rows(log_of(data))
    assert after[: len(before)] == before
    assert sorted(r["source"] for r in after[len(before) :]) == sorted(f"writer {k}" for k in range(20))
    assert len({r["id"] for r in after}) == len(after)
    assert lock_path(log_of(data)) == log_of(data).with_name(f".{EXAMPLE}.csv.lock")


def _drop_columns(path: Path, keep: list[str]) -> None:
    table = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    picked = [table[0].index(c) for c in keep]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([[r[k] for k in picked] for r in table])
    path.write_text(buffer.getvalue(), encoding="utf-8", newline="")


REQUIRED = ["id", "date", "indicator", "observed", "source", "reliability", "credibility"]


@pytest.mark.parametrize(
    ("given", "added"),
    [(("url",), ["url"]), (("summary",), ["summary"]), (("url", "summary"), ["url", "summary"])],
)
def test_url_and_summary_add_their_column_to_a_log_without_it(data, given, added):
    """Promise: --url and --summary are never dropped: the column is added (atomically), earlier rows left empty,
    and every other byte of the log stays as it was."""
    _drop_columns(log_of(data), REQUIRED)
    before = log_of(data).read_bytes()
    values = {"url": "https://example.org/r", "summary": 'Said so, in "quotes"'}
    result = add(data, **{k: values[k] for k in given})
    assert result.returncode == 0, result.stderr
    assert f"column '{added[0]}' added to the log" in result.stderr
    after = log_of(data).read_bytes()
    table = rows(log_of(data))
    assert list(table[0]) == REQUIRED + added
    assert all(r[c] == "" for r in table[:-1] for c in added)
    assert all(table[-1][c] == values[c] for c in added)
    (header, rest), (old_header, old_rest) = after.split(b"\r\n", 1), before.split(b"\r\n", 1)
    assert header == old_header + b"".join(b"," + c.encode() for c in added)
    commas = b"," * len(added)
    assert rest.replace(commas + b"\r\n", b"\r\n").startswith(old_rest)  # nothing else changed
    assert forecast_cli("validate", "--data", data).returncode == 0
    log = load_evidence(log_of(data), load_question(data / "questions" / f"{EXAMPLE}.yaml"))
    assert getattr(log.rows[-1], added[0]) == values[added[0]]


def test_an_add_writes_through_a_symlinked_log_to_the_file_it_names(data, tmp_path):
    """Promise: a symlinked log stays a symlink and the row reaches the shared file it points to."""
    shared = tmp_path / "shared" / "log.csv"
    shared.parent.mkdir()
    shutil.move(log_of(data), shared)
    log_of(data).symlink_to(shared)
    before = shared.read_bytes()
    result = add(data, source="Through the link")
    assert result.returncode == 0, result.stderr
    assert log_of(data).is_symlink() and os.readlink(log_of(data)) == str(shared)
    assert shared.read_bytes().startswith(before) and rows(shared)[-1]["source"] == "Through the link"
    assert lock_path(log_of(data)) == shared.with_name(".log.csv.lock")  # one lock, whichever name is used


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: os.mkfifo(p), "is a named pipe (FIFO), not a regular file"),
        (lambda p: p.symlink_to("/dev/zero"), "is a character device, not a regular file"),
        (lambda p: p.mkdir(), "is a folder, not a regular file"),
    ],
    ids=["fifo", "dev-zero", "folder"],
)
def test_an_add_to_a_log_that_is_not_a_regular_file_is_refused_at_once(data, make, message):
    """Promise: a FIFO, /dev/zero or a folder as the log is refused in a sentence, exit 1, without hanging."""
    log_of(data).unlink()
    make(log_of(data))
    result = add(data)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"{log_of(data)}: {message}" in result.stderr and "the log is unchanged" in result.stderr


def test_run_and_validate_refuse_a_fifo_log_and_still_report_the_other_questions(data, tmp_path):
    """Promise: `validate` and `run` refuse a FIFO log in one line and never read from it."""
    log_of(data).unlink()
    os.mkfifo(log_of(data))
    result = forecast_cli("validate", "--data", data, timeout=60)
    assert result.returncode == 1 and "is a named pipe (FIFO)" in result.stdout
    result = forecast_cli("run", "--data", data, "--out", tmp_path / "out", "--question", EXAMPLE, timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"forecast: {EXAMPLE}: {log_of(data)}: is a named pipe (FIFO)")


def test_an_add_to_a_log_that_is_not_utf8_is_refused_and_leaves_it_byte_for_byte(data):
    """Promise (one reader for evidence): the loader's encoding check refuses the log, located on its line."""
    with log_of(data).open("ab") as handle:
        handle.write(b"e999,2025-01-02,no-settlement-yet,yes,Caf\xe9,C,3,,\r\n")
    before = log_of(data).read_bytes()
    line = before.count(b"\n")
    digest = sha256_of(log_of(data))
    result = add(data)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{log_of(data)}:{line}: byte 0xe9 is not UTF-8; save the file as UTF-8",
        "the row was not added; the log is unchanged",
    ]
    assert sha256_of(log_of(data)) == digest


def test_an_add_to_a_log_over_the_size_limit_is_refused_and_leaves_it_unchanged(data):
    """Promise: the same 64 MiB limit as validate; the file is not read, let alone rewritten."""
    with log_of(data).open("ab") as handle:
        handle.truncate(MAX_EVIDENCE_BYTES + 1)
    stat = log_of(data).stat()
    digest = sha256_of(log_of(data))
    result = add(data)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{log_of(data)}: file is {MAX_EVIDENCE_BYTES + 1:,} bytes; the limit is {MAX_EVIDENCE_BYTES:,}",
        "the row was not added; the log is unchanged",
    ]
    assert sha256_of(log_of(data)) == digest
    after = log_of(data).stat()
    assert (after.st_ino, after.st_size, after.st_mtime_ns) == (stat.st_ino, stat.st_size, stat.st_mtime_ns)


def test_an_argument_that_is_not_utf8_is_refused_in_a_sentence(data):
    """Promise: a summary typed in Latin-1 is refused by name (exit 1), not a UnicodeEncodeError."""
    before = log_of(data).read_bytes()
    args = [sys.executable.encode(), b"-m", b"forecast", b"evidence", b"add", EXAMPLE.encode(), b"--data",
            str(data).encode(), b"--date", b"2025-02-21", b"--indicator", b"no-settlement-yet", b"--observed", b"yes",
            b"--source", b"Wire", b"--reliability", b"C", b"--credibility", b"3", b"--summary", b"caf\xe9"]  # fmt: skip
    result = subprocess.run(args, capture_output=True, timeout=120, env={**os.environ, "LC_ALL": "C.UTF-8"})
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr
    assert "--summary is not UTF-8 text (byte 0xe9); the log holds UTF-8 only" in stderr
    assert log_of(data).read_bytes() == before


def test_an_extra_value_that_is_not_utf8_is_refused_by_the_option_it_came_in(data):
    """Promise: a Latin-1 ``--extra analyst=`` value is named as that option (exit 1), and no log is made."""
    log_of(data).unlink()
    args = [sys.executable.encode(), b"-m", b"forecast", b"evidence", b"add", EXAMPLE.encode(), b"--data",
            str(data).encode(), b"--date", b"2025-02-21", b"--indicator", b"no-settlement-yet", b"--observed", b"yes",
            b"--source", b"Wire", b"--reliability", b"C", b"--credibility", b"3", b"--extra", b"analyst=Jos\xe9"]  # fmt: skip
    result = subprocess.run(args, capture_output=True, timeout=120, env={**os.environ, "LC_ALL": "C.UTF-8"})
    stderr = result.stderr.decode("utf-8", "replace")
    assert result.returncode == 1 and "Traceback" not in stderr
    assert "--extra analyst= is not UTF-8 text (byte 0xe9); the log holds UTF-8 only" in stderr
    assert not log_of(data).exists()


def test_an_add_whose_lock_file_cannot_be_created_says_so_in_a_sentence(data):
    """Promise: a lock that cannot be written is a one-line error, exit 1, and the log is unchanged."""
    before = log_of(data).read_bytes()
    lock_path(log_of(data)).mkdir()  # (as root, permissions stop nothing; a folder in its place does)
    result = add(data)
    assert result.returncode == 1 and one_line(result)
    assert result.stderr.startswith("forecast: cannot create the lock file ")
    assert "the row was not added, the log is unchanged" in result.stderr
    assert log_of(data).read_bytes() == before


def test_an_add_on_a_full_disk_says_so_in_a_sentence(data, tmp_path):
    """Promise: no room for the new log is a one-line error (exit 1); the old log stays whole."""
    disk = tmp_path / "disk"
    disk.mkdir()
    size = log_of(data).stat().st_size
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={(size * 2 + (1 << 20)) // 1024}k", "tmpfs", disk],
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount in this sandbox: {done.stderr.strip()}")
    try:
        small = disk / "data"
        (small / "evidence").mkdir(parents=True)
        shutil.copytree(data / "questions", small / "questions")
        shutil.copyfile(log_of(data), log_of(small))
        fd = os.open(disk / "filler", os.O_WRONLY | os.O_CREAT)
        try:  # fill what is left
            with pytest.raises(OSError) as full:
                while True:
                    os.write(fd, b"x" * 4096)
        finally:
            os.close(fd)
        assert full.value.errno == errno.ENOSPC
        before = log_of(small).read_bytes()
        result = add(small)
        assert result.returncode == 1 and "Traceback" not in result.stderr
        assert f"cannot write {log_of(small)}: No space left on device" in result.stderr
        assert log_of(small).read_bytes() == before
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


# --------------------------------------------------------------------------- formulas


@pytest.mark.parametrize(
    "summary",
    ["=cmd|' /C calc'!A0", '=HYPERLINK("http://evil.example","click")', "+1+cmd", "@SUM(A1)", "-2+3"],
)
def test_an_add_neutralises_a_formula_with_a_leading_quote(data, summary):
    """Promise: text a spreadsheet would run is written with a quote in front, and the command says so."""
    result = add(data, summary=summary, source=summary)
    assert result.returncode == 0, result.stderr
    last = rows(log_of(data))[-1]
    assert last["summary"] == "'" + summary and last["source"] == "'" + summary
    assert "summary starts with" in result.stderr and "written with a quote (') in front" in result.stderr
    assert forecast_cli("validate", "--data", data).stdout == ""


def test_validate_warns_about_a_formula_written_by_hand(data):
    """Promise: a log edited by hand with a formula in it is warned about, on its line (exit 0)."""
    with log_of(data).open("ab") as handle:
        handle.write(b'e999,2025-01-02,no-settlement-yet,yes,Wire,C,3,,"=HYPERLINK(""http://x"")"\r\n')
    line = log_of(data).read_bytes().count(b"\n")
    result = forecast_cli("validate", "--data", data)
    assert result.returncode == 0
    assert (
        f"{log_of(data)}:{line}: warning: summary starts with '=', so a spreadsheet may run it"
        in result.stdout
    )


# --------------------------------------------------------------------------- charts


def test_a_scenario_name_with_dollar_signs_is_drawn_as_text():
    """Promise: matplotlib's mathtext never parses a scenario name; the chart draws it as written."""
    from forecast.engine.results import Trajectory
    from forecast.publish.plots import trajectory_chart

    names = ["Exit costs $\\frac{1}{$ or more", "$x$ and $y$", "Yes"]
    days = tuple(date(2025, 1, 1) + timedelta(days=k) for k in range(3))
    import numpy as np

    chart = trajectory_chart(Trajectory(days, ("a", "b", "c"), np.full((3, 3), 1 / 3)), names)
    assert chart.svg.startswith("<svg") and all(name in chart.alt for name in names)
    assert math.isclose(sum(float(p) for p in re.findall(r"to (\d+)%", chart.alt)), 99)  # the latest


@pytest.mark.slow
def test_a_run_reports_scenarios_named_yes_and_no_and_names_with_dollar_signs(tmp_path):
    """Promise: a binary question with Yes/No scenarios, and a name matplotlib would read as mathtext,
    are both reported (exit 0), each name shown as written."""
    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    (data / "questions" / "binary.yaml").write_text(BINARY, encoding="utf-8")
    text = (data / "questions" / f"{EXAMPLE}.yaml").read_text(encoding="utf-8")
    dollars = "Exit costs $\\frac{1}{$ or more"
    text = text.replace("    name: Full exit\n", f"    name: '{dollars}'\n", 1)
    assert dollars in text
    (data / "questions" / "dollars.yaml").write_text(re.sub(r"(?m)^id: .*$", "id: dollars", text, count=1))
    shutil.copyfile(log_of(data), data / "evidence" / "dollars.csv")
    args = ("--question", "binary", "--question", "dollars", "--as-of", AS_OF)
    result = forecast_cli("run", "--data", data, "--out", out, *args)
    assert result.returncode == 0, result.stderr
    binary = (out / "binary" / AS_OF / "report.html").read_text(encoding="utf-8")
    assert ">Yes<" in binary or "Yes</" in binary
    assert read_json(out / "binary" / AS_OF / "summary.json")["scenario_names"] == {"yes": "Yes", "no": "No"}
    assert read_json(out / "dollars" / AS_OF / "summary.json")["scenario_names"]["exit"] == dollars


@pytest.mark.slow
def test_a_100k_row_log_is_reported_in_bounded_size_with_the_full_log_beside_it(tmp_path):
    """Promise: a long log that validate accepts is reported (exit 0): the page and the notebook show the
    newest and the most influential reports only, and evidence.csv beside them holds every report."""
    from benchmarks.long_log import write_long_log

    data, out = copy_data(tmp_path / "data"), tmp_path / "out"
    bundled = len(rows(log_of(data)))
    write_long_log(data, 100_000)
    result = forecast_cli(
        "run", "--data", data, "--out", out, "--question", EXAMPLE, "--as-of", AS_OF, timeout=900
    )
    assert result.returncode == 0, result.stderr
    folder = out / EXAMPLE / AS_OF
    page = (folder / "report.html").read_text(encoding="utf-8")
    notebook = (folder / "report.ipynb").read_text(encoding="utf-8")
    shown = re.findall(r'id="evidence-([^"]+)"', page)
    assert len(shown) == 150 and len(set(shown)) == 150
    assert "The log holds 100,032 reports; shown here are the 100 newest" in page
    assert '<a href="evidence.csv">evidence.csv</a>' in page
    # The notebook embeds what the page shows, and no more (its outputs hold the same rows).
    assert set(re.findall(r'id=\\"evidence-([^"\\]+)\\"', notebook)) == set(shown)
    assert len(page) < 1_000_000 and len(notebook) < 2_000_000
    full = rows(folder / "evidence.csv")
    assert len(full) == bundled + 100_000
    assert [r["id"] for r in full] == [r["id"] for r in rows(log_of(data))]
    date_of = {r["id"]: r["date"] for r in full}
    assert {date_of[i] for i in shown[:100]} == {AS_OF}  # the 100 newest come first, all of the last day
    assert_reads_well_in_chromium(folder / "report.html", rows_shown=150)


def assert_reads_well_in_chromium(path: Path, rows_shown: int) -> None:
    """The page loads in headless Chromium without errors, shows its rows, and its links lead somewhere."""
    browser_test = pytest.importorskip("test_browser")
    if browser_test.CHROMIUM is None:
        pytest.skip("no system Chromium installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=browser_test.CHROMIUM, args=browser_test._LAUNCH_ARGS
        )
        try:
            page = browser_test.Page(browser, path)
            assert page.errors == []
            assert page.page.locator("table.evidence-log tbody tr").count() == rows_shown
            page.open_sections()  # the evidence log is collapsed until a reader opens it
            assert "All evidence (CSV)" in page.text() and "The log holds 100,032 reports" in page.text()
            browser_test.assert_links_work(page)
        finally:
            browser.close()


def test_a_formula_behind_blanks_is_neutralised_too(data):
    """Promise: the loader strips blanks around a cell, so `\\t=cmd` is written as it will be read: `'=cmd`."""
    result = add(data, summary="\t =1+2 ", source="  @x")
    assert result.returncode == 0, result.stderr
    last = rows(log_of(data))[-1]
    assert (last["summary"], last["source"]) == ("'=1+2", "'@x")
