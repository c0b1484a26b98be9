"""OUT as a hostile user leaves it: links inside it, and data in it edited or forged.

forecast never follows a symbolic link found inside OUT to delete or write: the
link is reported (``<path>: a symbolic link, left alone``), the question it is in
the way of fails cleanly, and the other questions, the index and the manifest go
on. What the index, the history page and the catalog read back from OUT is data:
a report that cannot be shown is skipped with a note, never a traceback.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import psutil
import pytest
from helpers import (
    AS_OF,
    EXAMPLE,
    clone_question,
    copy_data,
    forecast_cli,
    notebook_with_extra_cell,
    read_json,
    tree_digest,
)

from forecast.catalog import CATALOG, read_catalog, update_catalog
from forecast.publish.summary import SummaryError, check_summary
from forecast.schedule.job import publish_run
from forecast.store import (
    INDEX,
    LOCK_NAME,
    LOCKS,
    MARKER,
    RUNS,
    WORK,
    LinkInOut,
    atomic_write_text,
    recover,
    refuse_links,
    remove_tree,
    replace_dir,
)

LEFT_ALONE = "a symbolic link, left alone"


def _marked_out(root: Path) -> Path:
    out = root / "out"
    out.mkdir()
    (out / MARKER).write_text("forecast's\n", encoding="utf-8")
    return out


def _someone_elses_folder(folder: Path) -> Path:
    """A folder outside OUT with files named as forecast names its own."""
    (folder / AS_OF).mkdir(parents=True)
    (folder / AS_OF / "numbers.json").write_text('{"mine": true}\n', encoding="utf-8")
    (folder / AS_OF / "report.html").write_text("my page\n", encoding="utf-8")
    (folder / "history.html").write_text("my history\n", encoding="utf-8")
    (folder / CATALOG).write_text("my catalog\n", encoding="utf-8")
    (folder / f"{EXAMPLE}.0123abcd").mkdir()
    (folder / f"{EXAMPLE}.0123abcd" / "notes.txt").write_text("keep me\n", encoding="utf-8")
    (folder / "notes.txt").write_text("keep me too\n", encoding="utf-8")
    return folder


def _manifest(out: Path) -> dict:
    (manifest,) = sorted((out / RUNS).glob("*.json"))
    return read_json(manifest)


def _outcome(manifest: dict, question: str) -> dict:
    return next(q for q in manifest["questions"] if q["question"] == question)


# --------------------------------------------------------------------------- links inside OUT, in one real run


@pytest.fixture(scope="module")
def linked(tmp_path_factory):
    """A run of five questions: one ordinary, each other with a link in OUT where its job writes."""
    root = tmp_path_factory.mktemp("linked")
    data = copy_data(root / "data")
    out = _marked_out(root)
    elsewhere = root / "elsewhere"
    links = {
        "linked-folder": (out / "linked-folder", _someone_elses_folder(elsewhere / "folder")),
        "linked-catalog": (out / "linked-catalog" / CATALOG, elsewhere / "folder" / CATALOG),
        "linked-history": (out / "linked-history" / "history.html", elsewhere / "folder" / "history.html"),
        "linked-report": (out / "linked-report" / AS_OF, elsewhere / "folder" / AS_OF),
    }
    for question, (link, target) in links.items():
        clone_question(data, question)
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(target)
    before = tree_digest(elsewhere)
    questions = [EXAMPLE, *links]
    result = forecast_cli(
        "run",
        "--data",
        data,
        "--out",
        out,
        "--as-of",
        AS_OF,
        *(a for q in questions for a in ("--question", q)),
    )
    return {"out": out, "elsewhere": elsewhere, "before": before, "links": links, "result": result}


def test_a_link_in_out_never_has_what_it_links_to_written_or_deleted(linked):
    assert tree_digest(linked["elsewhere"]) == linked["before"]
    for link, target in linked["links"].values():
        assert link.is_symlink() and os.readlink(link) == str(target)


@pytest.mark.parametrize("question", ["linked-folder", "linked-catalog", "linked-history", "linked-report"])
def test_a_link_in_the_way_fails_its_question_saying_which_path_was_left_alone(linked, question):
    outcome = _outcome(_manifest(linked["out"]), question)
    link, _ = linked["links"][question]
    assert (outcome["status"], outcome["cause"]) == ("failed", "output")
    assert outcome["reason"] == f"{link}: {LEFT_ALONE}"


def test_the_other_questions_still_publish_and_the_index_and_manifest_are_written(linked):
    out, result = linked["out"], linked["result"]
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert _outcome(_manifest(out), EXAMPLE)["status"] == "ok"
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    index = (out / INDEX).read_text(encoding="utf-8")
    assert f"{EXAMPLE}/{AS_OF}/report.html" in index
    assert "linked-folder/" not in index.replace("linked-folder:", "")  # no card read through the link


# --------------------------------------------------------------------------- links to OUT's own folders


def test_a_linked_work_folder_is_never_emptied_and_every_question_says_why_it_did_not_run(tmp_path):
    data = copy_data(tmp_path / "data")
    out = _marked_out(tmp_path)
    elsewhere = _someone_elses_folder(tmp_path / "elsewhere")
    before = tree_digest(elsewhere)
    (out / WORK).symlink_to(elsewhere)
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert tree_digest(elsewhere) == before
    assert (out / WORK).is_symlink()
    assert result.returncode == 1 and "Traceback" not in result.stderr
    outcome = _outcome(_manifest(out), EXAMPLE)
    assert outcome["reason"] == f"{out / WORK}: {LEFT_ALONE}"
    assert (out / INDEX).is_file()


@pytest.mark.parametrize("name", [LOCK_NAME, LOCKS, RUNS, INDEX])
def test_a_link_where_the_run_keeps_its_own_file_stops_it_before_anything_runs(tmp_path, name):
    data = copy_data(tmp_path / "data")
    out = _marked_out(tmp_path)
    elsewhere = _someone_elses_folder(tmp_path / "elsewhere")
    target = elsewhere / "notes.txt" if name in (LOCK_NAME, INDEX) else elsewhere
    before = tree_digest(elsewhere)
    (out / name).symlink_to(target)
    result = forecast_cli("run", "--data", data, "--out", out, "--as-of", AS_OF, "--question", EXAMPLE)
    assert result.returncode == 1
    assert f"{out / name}: {LEFT_ALONE}" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(elsewhere) == before and (out / name).is_symlink()
    assert not (out / EXAMPLE).exists()


# --------------------------------------------------------------------------- the helpers every write goes through


def test_refuse_links_names_the_first_link_below_out_and_accepts_out_itself_as_a_link(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    out = tmp_path / "out"
    out.symlink_to(real)  # the folder the user named may be a link
    refuse_links(out, out / "q" / AS_OF / "summary.json")
    (real / "q").symlink_to(tmp_path)
    with pytest.raises(LinkInOut, match=f"^{out / 'q'}: {LEFT_ALONE}$"):
        refuse_links(out, out / "q" / AS_OF / "summary.json")


def test_an_atomic_write_in_out_never_replaces_a_link_or_writes_through_one(tmp_path):
    out, elsewhere = tmp_path / "out", tmp_path / "elsewhere"
    out.mkdir()
    elsewhere.mkdir()
    (elsewhere / "page.html").write_text("mine\n", encoding="utf-8")
    (out / "index.html").symlink_to(elsewhere / "page.html")
    (out / "q").symlink_to(elsewhere)
    for path in (out / "index.html", out / "q" / "history.html"):
        with pytest.raises(LinkInOut):
            atomic_write_text(path, "forecast's\n", within=out)
    assert sorted(p.name for p in elsewhere.iterdir()) == ["page.html"]
    assert (elsewhere / "page.html").read_text(encoding="utf-8") == "mine\n"
    assert (out / "index.html").is_symlink()


def test_replace_dir_never_moves_a_folder_reached_through_a_link(tmp_path):
    out = tmp_path / "out"
    elsewhere = _someone_elses_folder(tmp_path / "elsewhere")
    before = tree_digest(elsewhere)
    (out / WORK / "q.1").mkdir(parents=True)
    (out / "q").symlink_to(elsewhere)
    with pytest.raises(LinkInOut):
        replace_dir(out / WORK / "q.1", out / "q" / AS_OF, within=out)
    assert tree_digest(elsewhere) == before


def test_remove_tree_leaves_a_link_and_what_it_links_to_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = _someone_elses_folder(tmp_path / "elsewhere")
    before = tree_digest(elsewhere)
    (out / RUNS).symlink_to(elsewhere)
    assert remove_tree(out / RUNS / AS_OF, out) is False
    assert tree_digest(elsewhere) == before


def test_recover_leaves_a_linked_work_folder_and_links_inside_it_alone(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = _someone_elses_folder(tmp_path / "elsewhere")
    before = tree_digest(elsewhere)
    (out / WORK).symlink_to(elsewhere)
    recover(out)
    assert tree_digest(elsewhere) == before and (out / WORK).is_symlink()
    (out / WORK).unlink()
    (out / WORK).mkdir()
    (out / WORK / f"{EXAMPLE}.feed").symlink_to(elsewhere)
    recover(out)
    assert tree_digest(elsewhere) == before


def test_a_catalog_that_is_a_link_is_neither_read_nor_appended_to_nor_replaced(tmp_path):
    out = tmp_path / "out"
    (out / EXAMPLE).mkdir(parents=True)
    elsewhere = tmp_path / "theirs.jsonl"
    elsewhere.write_text(json.dumps({"catalog": 1, "question": EXAMPLE}) + "\n", encoding="utf-8")
    (out / EXAMPLE / CATALOG).symlink_to(elsewhere)
    catalog = read_catalog(out, EXAMPLE)
    assert catalog.problems == [f"{CATALOG}: {LEFT_ALONE}"]
    with pytest.raises(LinkInOut):
        update_catalog(out, EXAMPLE)
    assert elsewhere.read_text(encoding="utf-8") == json.dumps({"catalog": 1, "question": EXAMPLE}) + "\n"
    assert (out / EXAMPLE / CATALOG).is_symlink()


# --------------------------------------------------------------------------- what OUT holds is read as data

EARLIEST, EARLIER = "2025-01-10", "2025-01-20"


#: The scenario renamed, with its name and short name: before and after.
RENAMED = {"keep": "hold", "Russia keeps its bases": "Russia holds its bases", "Keeps bases": "Holds bases"}


def _rename_scenario(data: Path) -> None:
    """Rename a scenario (id, name and short name) in the question file, its judgment files and its
    outside forecasts, consistently."""
    paths = [
        data / "questions" / f"{EXAMPLE}.yaml",
        *(data / "judgments" / EXAMPLE).glob("*.yaml"),
        data / "forecasts" / f"{EXAMPLE}.csv",
    ]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        for old, new in RENAMED.items():
            text = re.sub(rf"\b{old}\b", new, text)
        path.write_text(text, encoding="utf-8")


def _with_a_lone_surrogate_in_an_id(summary: Path) -> None:
    data = json.loads(summary.read_text(encoding="utf-8"))
    data["evidence_ids"][0] = "e\ud800"
    summary.write_text(json.dumps(data, indent=2), encoding="utf-8")  # JSON spells it \ud800: valid UTF-8


@pytest.fixture(scope="module")
def edited(tmp_path_factory):
    """Three runs of the example: the first's summary then holds a lone surrogate in an id; a scenario is
    renamed (question, judgments and outside forecasts alike) between the second run and the third."""
    root = tmp_path_factory.mktemp("edited")
    data = copy_data(root / "data")
    out = root / "out"
    results = {}

    def run(as_of: str) -> None:
        results[as_of] = forecast_cli(
            "run", "--data", data, "--out", out, "--as-of", as_of, "--question", EXAMPLE
        )

    run(EARLIEST)
    _with_a_lone_surrogate_in_an_id(out / EXAMPLE / EARLIEST / "summary.json")
    run(EARLIER)
    _rename_scenario(data)
    results["validate"] = forecast_cli("validate", "--data", data)
    run(AS_OF)
    return {"data": data, "out": out, "results": results}


def test_a_summary_with_a_lone_surrogate_in_an_id_is_refused_by_its_check(edited):
    with pytest.raises(SummaryError, match=r"evidence_ids\.0: holds a lone surrogate"):
        check_summary(edited["out"] / EXAMPLE / EARLIEST / "summary.json")


def test_a_summary_with_a_lone_surrogate_in_an_id_does_not_block_the_next_run(edited):
    result = edited["results"][EARLIER]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert (edited["out"] / EXAMPLE / EARLIER / "report.html").is_file()


def test_a_renamed_scenario_validates_and_its_next_run_writes_the_report_index_and_manifest(edited):
    assert edited["results"]["validate"].returncode == 0, edited["results"]["validate"].stdout
    result = edited["results"][AS_OF]
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = edited["out"]
    assert (out / EXAMPLE / AS_OF / "report.html").is_file()
    manifest = json.loads(max((out / RUNS).glob("*.json")).read_text(encoding="utf-8"))
    assert manifest["parameters"]["as_of"] == AS_OF
    index = (out / INDEX).read_text(encoding="utf-8")
    assert f"{EXAMPLE}/{AS_OF}/report.html" in index and "Holds bases" in index


def test_the_history_shows_a_renamed_scenario_by_its_old_name_up_to_the_rename(edited):
    page = (edited["out"] / EXAMPLE / "history.html").read_text(encoding="utf-8")
    headers = re.findall(r'<th scope="col" class="num">([^<]*)</th>', page)
    assert "Keeps bases" in headers and "Holds bases" in headers
    rows = {
        m.group(1): m.group(2)
        for m in re.finditer(
            r'<tr[^>]*><th scope="row"><a href="([0-9-]+)/report.html">.*?</a></th>(.*?)</tr>', page
        )
    }
    cells = {d: re.findall(r'<td class="num">(.*?)</td>', row) for d, row in rows.items()}
    old, new = headers.index("Keeps bases"), headers.index("Holds bases")
    assert cells[EARLIER][old] != "—" and cells[EARLIER][new] == "—"
    assert cells[AS_OF][old] == "—" and cells[AS_OF][new] != "—"


def _copy_out(edited, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(edited["out"], out, symlinks=True)  # copy2: every summary keeps its stamp
    return out


def _publish(out: Path, data: Path) -> object:
    return publish_run(out, "r1", data_dir=data, questions=[], as_of=date.fromisoformat(AS_OF), parameters={})


def test_an_index_card_missing_a_move_for_a_scenario_shows_a_dash(edited, tmp_path):
    out = _copy_out(edited, tmp_path)
    assert "hold" not in read_json(out / EXAMPLE / AS_OF / "summary.json")["moves"]  # made against "keep"
    shutil.rmtree(out / EXAMPLE / EARLIER)  # the card then shows the report's own moves
    shutil.rmtree(out / EXAMPLE / EARLIEST)
    _publish(out, edited["data"])
    card = (out / INDEX).read_text(encoding="utf-8").split(f"{EXAMPLE}/{AS_OF}/report.html", 1)[1]
    row = re.search(r'<tr[^>]*><th scope="row">Holds bases</th>(.*?)</tr>', card).group(1)
    assert re.findall(r'<td class="num">(.*?)</td>', row)[0] == "—"


@pytest.mark.unreadable_summaries
def test_a_title_that_is_not_text_in_a_summary_edited_with_its_stamp_kept_never_stops_the_index(
    edited, tmp_path
):
    out = _copy_out(edited, tmp_path)
    _publish(out, edited["data"])  # the index checks the copy's summary, and marks its line checked
    summary = out / EXAMPLE / AS_OF / "summary.json"
    before = os.stat(summary)
    text = summary.read_text(encoding="utf-8")
    title = re.search(r'"title": ("[^"]*")', text).group(1)
    summary.write_text(text.replace(f'"title": {title}', f'"title": {"1" * len(title)}'), encoding="utf-8")
    os.utime(summary, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert os.stat(summary).st_size == before.st_size
    assert read_catalog(out, EXAMPLE).fresh(date.fromisoformat(AS_OF)).checked  # its line says checked
    published = _publish(out, edited["data"])
    index = published.index.read_text(encoding="utf-8")
    assert f"{EXAMPLE}/{EARLIER}/report.html" in index  # the latest report that can be shown
    assert published.manifest.is_file()


def test_a_catalog_line_with_a_negative_threshold_and_a_good_check_is_read_again_from_its_summary(
    edited, tmp_path
):
    out = _copy_out(edited, tmp_path)
    catalog = read_catalog(out, EXAMPLE)
    entry = catalog.entry(date.fromisoformat(AS_OF))
    with (out / EXAMPLE / CATALOG).open("a", encoding="utf-8") as handle:
        handle.write(dataclasses.replace(entry, threshold=-1.0).line())
    (out / EXAMPLE / "history.html").unlink()
    published = _publish(out, edited["data"])
    page = (out / EXAMPLE / "history.html").read_text(encoding="utf-8")
    assert f'href="{AS_OF}/report.html"' in page
    assert read_catalog(out, EXAMPLE).entry(date.fromisoformat(AS_OF)).threshold == entry.threshold
    assert published.manifest.is_file() and published.index.is_file()


def test_a_card_that_cannot_be_shown_is_left_off_with_a_note_and_the_index_is_written(
    edited, tmp_path, monkeypatch
):
    out = _copy_out(edited, tmp_path)
    import forecast.publish.render as render

    def unshowable(*args, **kwargs):
        raise KeyError("hold")

    monkeypatch.setattr(render, "_question_card", unshowable)
    published = _publish(out, edited["data"])
    assert published.index.is_file() and published.manifest.is_file()
    assert any(n.startswith(f"{EXAMPLE}: left off the index") for n in published.catalog)
    assert any(
        n.startswith(f"{EXAMPLE}: left off the index") for n in read_json(published.manifest)["catalog"]
    )


# --------------------------------------------------------------------------- a kernel its worker cannot stop


def _processes_naming(path: Path) -> list[psutil.Process]:
    """Live processes whose command line names ``path`` (a kernel names its connection file)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        if process.info["status"] != psutil.STATUS_ZOMBIE and str(path) in " ".join(
            process.info["cmdline"] or ()
        ):
            found.append(process)
    return found


def test_a_kernel_stopped_with_sigstop_is_killed_when_its_question_times_out(tmp_path):
    """The kernel, in a session of its own, is out of reach of the signals to its worker's process group."""
    data = copy_data(tmp_path / "data")
    # The kernel's connection file is a temporary file: its command line then names this folder.
    runtime = tmp_path / "tmp"
    runtime.mkdir()
    stopped = tmp_path / "stopped"
    notebook = notebook_with_extra_cell(
        tmp_path / "stopped.ipynb",
        f"import os, pathlib, signal\npathlib.Path({str(stopped)!r}).touch()\nos.kill(os.getpid(), signal.SIGSTOP)",
    )
    environment = {**os.environ, "TMPDIR": str(runtime)}
    try:
        result = forecast_cli(
            "run", "--data", data, "--out", tmp_path / "out", "--as-of", AS_OF, "--question", EXAMPLE,
            "--notebook", notebook, "--timeout", "90", env=environment,
        )  # fmt: skip
        assert result.returncode == 1 and "Traceback" not in result.stderr
        manifest = _manifest(tmp_path / "out")
        assert _outcome(manifest, EXAMPLE)["cause"] == "timeout"
        assert stopped.exists()  # the kernel stopped itself before the timeout
        left = [p for p in _processes_naming(runtime) if not _gone_soon(p)]
        assert not left, f"left running: {[(p.pid, p.info['status']) for p in left]}"
    finally:
        for process in _processes_naming(runtime):
            with contextlib.suppress(psutil.NoSuchProcess):
                process.kill()


def _gone_soon(process: psutil.Process) -> bool:
    """Has ``process`` exited, or does it within a few seconds (killed, and being reaped by its new parent)?"""
    try:
        process.wait(10)
    except psutil.TimeoutExpired:
        return False
    return True
