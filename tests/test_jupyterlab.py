"""The notebooks as a forecaster uses them: opened in a real JupyterLab, every cell run from its menu.

A JupyterLab server from this environment serves a temporary folder laid out as the repository
(``notebooks/`` beside ``data/``), with Jupyter's config, data, runtime and IPython folders of its
own; Debian's Chromium (as in ``test_browser.py``) drives it. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import nbformat
import pytest
import test_browser
from helpers import REPO, copy_data

pytestmark = pytest.mark.slow

#: Debian's Chromium with the browser tests' flags, skipped (or failed, in CI) alike.
browser = test_browser.browser

SERVER_START = 120.0  # seconds for the server to answer /api/status
KERNEL_IDLE = 90_000  # milliseconds for a kernel to start or to finish all cells
STEP = 30_000  # milliseconds for one thing to show in the page

#: What a forecaster opening JupyterLab for the first time would otherwise be asked or shown:
#: the news opt-in, the update check, toasts; and cells kept in the page as they scroll away.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
        "doNotDisturbMode": True,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
SERVER_CONFIG = {
    "LabApp": {
        "news_url": None,
        "check_for_updates_class": "jupyterlab.NeverCheckForUpdate",
        "extension_manager": "readonly",  # the default one asks PyPI
    },
    "ServerApp": {"terminals_enabled": False, "allow_root": True},  # CI's containers run as root
}
PAGE_CONFIG = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}

#: The MIME type of what JupyterLab 4 shows of stderr, and of an error output (its traceback).
STDERR = "application/vnd.jupyter.stderr"
#: A traceback as JupyterLab 4 shows an error output: IPython's banner and the exception's name.
TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^\w*(Error|Exception)\b", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Lab:
    """A running JupyterLab server: its URL, token and the folder it serves."""

    def __init__(self, root: Path, port: int, token: str, log: Path) -> None:
        self.root, self.token, self.log = root, token, log
        self.url = f"http://127.0.0.1:{port}"

    def answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as response:
                return response.status == 200 and "started" in json.load(response)
        except (OSError, ValueError):
            return False

    def notebook_url(self, name: str) -> str:
        """The notebook alone in a fresh layout (``reset``: no tab of an earlier test restored)."""
        return f"{self.url}/lab/tree/notebooks/{name}?reset&token={self.token}"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(
            f"{self.url}/api/{path}", method=method, headers={"Authorization": f"token {self.token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """End every session and its kernel, as closing a notebook and its kernel would."""
        for session in self.api("GET", "sessions"):
            self.api("DELETE", f"sessions/{session['id']}")


def write_json(path: Path, content: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """``jupyter lab`` on 127.0.0.1 serving a copy of notebooks/ and data/; stopped at the end, always."""
    base = tmp_path_factory.mktemp("jupyterlab")
    root = base / "root"
    shutil.copytree(
        REPO / "notebooks", root / "notebooks", ignore=shutil.ignore_patterns("*.py", "__pycache__")
    )
    copy_data(root / "data")
    (root / "notebooks" / "broken.ipynb").write_text(
        nbformat.writes(nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell("1 + 1"), nbformat.v4.new_code_cell("raise ValueError('on purpose')")],
            metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
        )),
        encoding="utf-8",
    )  # fmt: skip
    home = {name: base / name for name in ("config", "data", "runtime", "ipython", "mpl")}
    for folder in home.values():
        folder.mkdir()
    for name, settings in USER_SETTINGS.items():
        write_json(home["config"] / "lab" / "user-settings" / name, settings)
    write_json(home["config"] / "jupyter_server_config.json", SERVER_CONFIG)
    write_json(home["config"] / "labconfig" / "page_config.json", PAGE_CONFIG)
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(home["config"]),
        "JUPYTER_DATA_DIR": str(home["data"]),
        "JUPYTER_RUNTIME_DIR": str(home["runtime"]),
        "IPYTHONDIR": str(home["ipython"]),
        "MPLCONFIGDIR": str(home["mpl"]),
        "JUPYTER_PLATFORM_DIRS": "1",
        "PYTHONNOUSERSITE": "1",
    }
    for name in (
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
        "JUPYTER_PATH",
        "JUPYTER_CONFIG_PATH",
    ):
        env.pop(name, None)
    port, token = free_port(), secrets.token_hex(24)
    server = Lab(root, port, token, base / "server.log")
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
    ]  # fmt: skip
    with server.log.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + SERVER_START
        while not server.answers():
            if process.poll() is not None:
                pytest.fail(
                    f"jupyter lab exited with {process.returncode}:\n{server.log.read_text()[-3000:]}"
                )
            if time.monotonic() > deadline:
                pytest.fail(
                    f"jupyter lab did not answer in {SERVER_START:.0f}s:\n{server.log.read_text()[-3000:]}"
                )
            time.sleep(0.25)
        yield server
    finally:
        with contextlib.suppress(OSError):  # the server is gone already; its process group goes below
            server.shut_down_kernels()
        stop(process)


def stop(process: subprocess.Popen) -> None:
    """End the server's process group: SIGTERM, then SIGKILL if it is still there after 20 s.

    Its kernels run in sessions of their own; they were shut down through the API before.
    """
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


class Notebook:
    """One notebook open in JupyterLab, in a page that reaches nothing but the server."""

    def __init__(self, browser, lab: Lab, name: str) -> None:
        from playwright.sync_api import expect

        self.expect = expect
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.context.route("**/*", self._local_only)
        self.errors: list[str] = []
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.set_default_timeout(STEP)
        self.page.goto(lab.notebook_url(name))
        self.panel = self.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
        self.expect(self.panel.locator(".jp-Notebook .jp-Cell").first).to_be_visible(timeout=KERNEL_IDLE)
        self.choose_kernel_if_asked()
        self.wait_idle()

    @staticmethod
    def _local_only(route) -> None:
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    def kernel_ready(self, or_dialog: bool = False) -> None:
        """Wait until the notebook has its kernel and the kernel is idle (or a dialog asks something).

        The status indicator says "idle" for a moment before there is any kernel ("No Kernel"),
        so both the kernel's name in the toolbar and the indicator are read.
        """
        self.page.wait_for_function(
            """({panel, orDialog}) => {
                if (orDialog && document.querySelector('.jp-Dialog')) return true;
                const name = panel.querySelector('.jp-Toolbar-kernelName');
                const status = panel.querySelector('.jp-Notebook-ExecutionIndicator');
                return !!name && !!status && name.textContent.trim() !== 'No Kernel'
                    && status.dataset.status === 'idle';
            }""",
            arg={"panel": self.panel.element_handle(), "orDialog": or_dialog},
            timeout=KERNEL_IDLE,
        )

    def choose_kernel_if_asked(self) -> None:
        """Accept the notebook's own kernel, should JupyterLab ask which one to start."""
        self.kernel_ready(or_dialog=True)
        dialog = self.page.locator(".jp-Dialog")
        if dialog.count():
            dialog.locator(".jp-Dialog-button.jp-mod-accept").click()
            self.expect(dialog).to_have_count(0)

    def wait_idle(self) -> None:
        self.kernel_ready()

    def run_all(self) -> None:
        """Run → Run All Cells, from the menu bar, then wait for every code cell's count and an idle kernel."""
        self.page.get_by_role("menubar").get_by_role("menuitem", name="Run", exact=True).click()
        label = self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$"))
        self.page.locator("#jp-mainmenu-run").get_by_role("menuitem").filter(has=label).click()
        # Done when every code cell has its count, or a cell failed (Run All stops there).
        self.page.wait_for_function(
            """({panel, mime}) => {
                const counted = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')]
                    .every(p => /\\[\\d+\\]/.test(p.textContent));
                const failed = [...panel.querySelectorAll(`.jp-OutputArea-output[data-mime-type="${mime}"]`)]
                    .some(o => /Traceback/.test(o.textContent));
                return counted || failed;
            }""",
            arg={"panel": self.panel.element_handle(), "mime": STDERR},
            timeout=KERNEL_IDLE,
        )
        self.wait_idle()

    def unexecuted(self) -> int:
        """How many code cells have no execution count."""
        prompts = self.panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
        return sum(not re.search(r"\[\d+\]", p) for p in prompts)

    def tracebacks(self) -> list[str]:
        """The text of every output that shows an exception."""
        errors = self.panel.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR}"]')
        return [text for text in errors.all_inner_texts() if TRACEBACK.search(text)]

    def outputs(self, cell: int):
        return self.panel.locator(".jp-CodeCell").nth(cell).locator(".jp-OutputArea-output")

    def close(self) -> None:
        self.context.close()


@pytest.fixture(scope="module")
def ran(browser, lab):
    """``ran(name)``: the notebook open in JupyterLab with all its cells run, once for the module's tests."""
    opened: dict[str, Notebook] = {}

    def run(name: str) -> Notebook:
        if name not in opened:
            opened[name] = Notebook(browser, lab, name)
            opened[name].run_all()
        return opened[name]

    yield run
    for notebook in opened.values():
        notebook.close()
    lab.shut_down_kernels()


def read_summary(lab: Lab, name: str) -> dict:
    return json.loads((lab.root / "notebooks" / name).read_text(encoding="utf-8"))


def cell_showing(notebook: Notebook, code: str):
    """The one code cell whose source holds ``code``."""
    cell = notebook.panel.locator(".jp-CodeCell").filter(
        has=notebook.page.locator(".jp-InputArea", has_text=code)
    )
    notebook.expect(cell).to_have_count(1)
    return cell


def test_an_error_in_a_cell_is_seen_as_one(ran):
    """The check the notebooks must pass can fail: an exception shows as a traceback output."""
    (shown,) = ran("broken.ipynb").tracebacks()
    assert "ValueError" in shown and "on purpose" in shown


@pytest.mark.parametrize("name", ["update.ipynb", "explore.ipynb", "scorecard.ipynb"])
def test_every_cell_of_a_notebook_runs_in_jupyterlab_without_an_error(ran, name):
    notebook = ran(name)
    assert notebook.tracebacks() == []
    assert notebook.unexecuted() == 0
    assert notebook.errors == []


def test_the_report_notebook_shows_the_leading_scenario_in_its_bottom_line(ran, lab):
    notebook = ran("update.ipynb")
    summary = read_summary(lab, "summary.json")
    leading = notebook.panel.locator(".jp-OutputArea-output .bottom-line .leading")
    notebook.expect(leading).to_have_text(summary["leading_name"])


FRAMES_SHOWN = {
    "update.ipynb": ["scenarios", "trajectory", "effects", "influence", "checklist", "watch", "evidence"],
    "explore.ipynb": ["scenarios", "watch"],
}


@pytest.mark.parametrize("name", FRAMES_SHOWN)
def test_a_notebook_shows_each_frame_as_a_table(ran, name):
    notebook = ran(name)
    for frame in FRAMES_SHOWN[name]:
        cell = cell_showing(notebook, f"tables.{frame}")
        notebook.expect(cell.locator(".jp-OutputArea-output table tbody tr").first).to_be_visible()
        assert cell.locator(f'.jp-OutputArea-output[data-mime-type="{STDERR}"]').count() == 0, frame


def test_the_scenarios_frame_shows_the_reports_probabilities_as_percentages(ran, lab):
    notebook = ran("update.ipynb")
    summary = read_summary(lab, "summary.json")
    rows = cell_showing(notebook, "tables.scenarios").locator(".jp-OutputArea-output table tbody tr")
    shown = {
        row.locator("th").inner_text().strip(): row.locator("td").all_inner_texts() for row in rows.all()
    }
    assert set(shown) == set(summary["probabilities"])
    for scenario, p in summary["probabilities"].items():
        assert f"{p:.1%}" in shown[scenario], scenario


def test_the_what_if_table_follows_an_indicator_set_to_seen(ran):
    notebook = ran("explore.ipynb")
    controls = notebook.panel.locator(".jp-CodeCell").last.locator(".widget-vbox")
    table = controls.locator(".widget-html-content").last
    notebook.expect(table.locator("table")).to_be_visible()
    before = table.inner_text()
    first = controls.locator(".widget-toggle-buttons").first
    notebook.expect(first.locator("button.mod-active")).to_have_text("not reported")
    first.locator("button", has_text=re.compile(r"^seen$")).click()
    notebook.expect(first.locator("button.mod-active")).to_have_text("seen")
    notebook.expect(table).not_to_have_text(before)
    assert notebook.tracebacks() == []
