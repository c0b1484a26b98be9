"""One question's run, in a process of its own: execute the notebook, then render it.

``forecast run`` starts one worker per question (``python -m forecast.worker
SPEC``) so that questions run in parallel processes, a hung notebook can be
killed with its kernel, and a crash in one question cannot touch the others.
The worker writes only inside its scratch folder; the parent moves the result
into place.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path

from .render import render_notebook

__all__ = ["main"]


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


def main(argv: list[str] | None = None) -> int:
    """Run one question as described by the JSON spec in ``argv[0]``; 0 on success."""
    spec = json.loads((argv if argv is not None else sys.argv[1:])[0])
    signal.signal(signal.SIGTERM, _stop)
    _stop_when_orphaned()
    scratch = Path(spec["scratch"])
    _send_kernel_output_to(scratch / "kernel.log")
    # Library log records (nbclient's "Kernel died ...") go to that log too, silently if it cannot be
    # written: the run reports each failure in one line of its own.
    logging.basicConfig(stream=sys.__stderr__, level=logging.WARNING)
    logging.raiseExceptions = False
    executed = scratch / "report.ipynb"
    import papermill

    try:
        papermill.execute_notebook(
            spec["notebook"],
            str(executed),
            parameters=spec["parameters"],
            cwd=str(scratch),
            kernel_name="python3",
            progress_bar=spec.get("progress", False),
            log_output=False,
            start_timeout=120,
            execution_timeout=spec.get("cell_timeout"),
        )
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
