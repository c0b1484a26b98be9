"""One question's run, in a process of its own: execute the notebook, then render it.

``forecast run`` forks one worker per question (:class:`Worker`; ``python -m
forecast.schedule.worker SPEC`` runs one by hand) so that questions run in parallel
processes, a hung notebook can be killed with its kernel, and a crash in one
question cannot touch the others.
The worker writes only inside its scratch folder; the parent moves the result
into place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..publish.render import render_notebook
from ..publish.summary import import_jsonschema

__all__ = ["FORK_LOCK", "REPORT_MODULES", "Worker", "main", "preload", "run"]

#: What the report notebook's kernel imports: a worker's kernel imports these as soon as it
#: starts, while the worker itself is still importing papermill and nbconvert.
REPORT_MODULES = (
    "forecast.publish.report",
    "forecast.publish.plots",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.dates",
)

#: Held while a worker is forked, and by any thread of the forking process that writes to the
#: terminal: a fork copies the locks other threads hold, and a child must not inherit a held one.
FORK_LOCK = threading.Lock()


def _stop(signum: int, frame: object) -> None:
    # Unwind normally so that papermill shuts the kernel down on the way out.
    raise SystemExit(128 + signum)


def _stop_when_orphaned() -> None:
    """Stop this worker, and so its kernel, if ``forecast run`` dies without stopping it.

    Workers run in sessions of their own, so a run killed with SIGKILL cannot take them
    down; without this a worker would run on, writing into scratch space the next run
    deletes. The kernel's own parent poller then stops the kernel within a second.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)  # unwinds through _stop, shutting the kernel down
        time.sleep(15)
        os._exit(128 + signal.SIGTERM)  # the unwinding hung

    threading.Thread(target=watch, name="stop-when-orphaned", daemon=True).start()


def _reason(exc: BaseException) -> str:
    ename = getattr(exc, "ename", None)
    evalue = getattr(exc, "evalue", None)
    if ename:
        return f"{ename}: {evalue}".strip().splitlines()[0]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[-1] if text else ''}".strip()


def _send_kernel_output_to(log: Path) -> None:
    """Let the kernel's own chatter go to a log file (kept with a failed run), not the terminal.

    File descriptor 2 is inherited by the kernel process; this process keeps
    writing to the original stderr through a duplicate of it.
    """
    terminal = os.dup(2)
    with open(log, "ab") as handle:
        os.dup2(handle.fileno(), 2)
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding="utf-8", errors="replace")


class Worker:
    """A worker forked from ``forecast run``: papermill and nbconvert are already imported.

    Forking saves each question a fresh interpreter and the import of papermill,
    nbconvert and Jinja (most of a second), which is what a scheduled run costs
    beyond its kernels. The child starts a session of its own, so that it and its
    kernel can be stopped as a process group.
    """

    def __init__(self, spec: dict, *, quiet: bool) -> None:
        import multiprocessing

        self._process = multiprocessing.get_context("fork").Process(
            target=_forked, args=(spec, quiet), name=f"forecast-worker-{Path(spec['scratch']).name}"
        )
        self._process.start()
        self.pid = self._process.pid

    def poll(self) -> int | None:
        """The exit status, or ``None`` while it runs."""
        return self._process.exitcode

    def wait(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds; ``subprocess.TimeoutExpired`` if it still runs."""
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(self._process.name, timeout)
        return self._process.exitcode


def _forked(spec: dict, quiet: bool) -> None:
    os.setsid()
    if quiet:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
    sys.exit(run(spec))


def preload() -> None:
    """Import papermill and nbconvert, once, in a process that will fork several workers.

    A worker forked after this imports nothing more. A process that forks a single
    worker need not call it: that worker imports them itself while its kernel
    starts, on another core.

    jsonschema, which nbformat imports, is imported first without its slow IRI checker
    (:func:`forecast.publish.summary.import_jsonschema`).
    """
    import_jsonschema()
    import nbconvert  # noqa: F401
    import papermill  # noqa: F401


class _Kernel:
    """The worker's kernel, started before papermill is imported, and importing ``warm`` at once.

    The imports run as the kernel starts up (IPython's ``exec_lines``: no output,
    no history, no execution count, no name left behind), before papermill
    connects: the notebook then runs as it would in a fresh kernel, with those
    modules already in ``sys.modules``.
    """

    def __init__(self, cwd: Path, warm: list[str]) -> None:
        from jupyter_client.manager import AsyncKernelManager
        from jupyter_core.utils import run_sync

        self._run_sync = run_sync
        self.manager = AsyncKernelManager(kernel_name="python3")
        # As nbclient starts it (no IPython history database), and importing ``warm`` as it starts up.
        arguments = ["--HistoryManager.hist_file=:memory:"]
        if warm:
            arguments.append(f"--IPKernelApp.exec_lines={_warm_code(warm)}")
        run_sync(self.manager.start_kernel)(extra_arguments=arguments, cwd=str(cwd))
        self._requested = False

    def request_shutdown(self) -> None:
        """Ask the kernel to exit, without waiting: it winds down while the report renders."""
        self._run_sync(self.manager.request_shutdown)()
        self._requested = True

    def shutdown(self) -> None:
        """Stop the kernel (gracefully, then by signal) and close this process's connections to it."""
        with contextlib.suppress(Exception):  # already dead, or stopped by nbclient on SIGTERM
            if self._requested:
                self._run_sync(self.manager.finish_shutdown)()
                self._run_sync(self.manager.cleanup_resources)()
            else:
                self._run_sync(self.manager.shutdown_kernel)(now=False)


def _warm_code(modules: list[str]) -> str:
    """Code that imports ``modules`` and leaves no name behind; a failure is left to the notebook."""
    return (
        "def _forecast_warm(names):\n"
        "    import importlib\n"
        "    for name in names:\n"
        "        try:\n"
        "            importlib.import_module(name)\n"
        "        except Exception:\n"
        "            pass\n"
        f"_forecast_warm({list(modules)!r})\n"
        "del _forecast_warm\n"
    )


def _literal(path: str) -> str:
    """``path`` escaped for papermill, which fills ``{name}`` in the paths it is given from the parameters.

    Every path is taken literally: ``nb/{question}.ipynb`` is that file, and a folder
    named ``reports {x}`` is a folder like any other.
    """
    return path.replace("{", "{{").replace("}", "}}")


def main(argv: list[str] | None = None) -> int:
    """Run one question as described by the JSON spec in ``argv[0]``; 0 on success."""
    return run(json.loads((argv if argv is not None else sys.argv[1:])[0]))


def run(spec: dict) -> int:
    """Execute and render one notebook as ``spec`` describes; 0 on success, 1 on failure."""
    signal.signal(signal.SIGTERM, _stop)
    _stop_when_orphaned()
    scratch = Path(spec["scratch"])
    _send_kernel_output_to(scratch / "kernel.log")
    # Library log records (nbclient's "Kernel died ...") go to that log too, silently if it cannot be
    # written: the run reports each failure in one line of its own.
    logging.basicConfig(stream=sys.__stderr__, level=logging.WARNING)
    logging.raiseExceptions = False
    executed = scratch / "report.ipynb"
    kernel = None
    try:
        kernel = _Kernel(scratch, list(spec.get("warm") or ()))  # first: it starts while we import
        preload()
        import papermill

        papermill.execute_notebook(
            _literal(spec["notebook"]),
            _literal(str(executed)),
            parameters=spec["parameters"],
            cwd=str(scratch),
            kernel_name="python3",
            progress_bar=spec.get("progress", False),
            log_output=False,
            start_timeout=120,
            execution_timeout=spec.get("cell_timeout"),
            km=kernel.manager,
        )
        kernel.request_shutdown()
        render_notebook(
            executed,
            scratch / "report.html",
            title=spec["title"],
            index_href=spec["index_href"],
            numbers=spec["numbers"],
        )
    except Exception as exc:  # a notebook error, a dead kernel: reported, never raised past here
        # If even this cannot be written (a full disk), the parent reports the exit status, not a traceback.
        with contextlib.suppress(OSError):
            (scratch / "error.json").write_text(json.dumps({"reason": _reason(exc)}), encoding="utf-8")
        return 1
    finally:
        if kernel is not None:
            kernel.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
