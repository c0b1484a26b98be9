"""One question's run, in a process of its own: execute the notebook, then render it.

``forecast run`` starts one worker per question (:class:`Worker`; ``python -m
forecast.schedule.worker SPEC`` runs one by hand) so that questions run in parallel
processes, a hung notebook can be killed with its kernel, and a crash in one
question cannot touch the others.
The worker writes only inside its scratch folder; the parent moves the result
into place.

Workers are forked by a fork server (:func:`start_server`): a process of a single
thread, started as a fresh interpreter, never by forking the run. ``forecast run``
runs a thread per job, and a process forked while other threads run can inherit a
lock one of them held and deadlock (Python 3.12 warns of it; 3.14 no longer forks
by default). Where a fork server cannot run (no ``fork``, no descriptor passing),
each worker is a fresh interpreter of its own (spawn).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

from ..errors import RunError

__all__ = [
    "KERNEL_RECORD",
    "REPORT_MODULES",
    "START_METHOD",
    "Worker",
    "main",
    "preload",
    "reap_kernel",
    "run",
    "serve",
    "start_server",
]

#: The file in a worker's scratch folder that names its kernel's process and process group.
KERNEL_RECORD = "kernel.pid"

#: What the report notebook's kernel imports: a worker's kernel imports these as soon as it
#: starts, while the worker itself is still importing papermill and nbconvert.
REPORT_MODULES = (
    "forecast.publish.report",
    "forecast.publish.plots",
    "matplotlib.figure",
    "matplotlib.backends.backend_agg",
    "matplotlib.dates",
)

#: How workers start: ``"forkserver"`` (forked by the fork server, see :func:`start_server`) where
#: the system can fork and pass file descriptors over a socket, else ``"spawn"`` (a fresh interpreter each).
START_METHOD = "forkserver" if hasattr(os, "fork") and hasattr(socket, "send_fds") else "spawn"


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
    """A worker process, forked by the fork server (:func:`start_server`).

    Forking saves each question a fresh interpreter and, once the server has
    preloaded them, the import of papermill, nbconvert and Jinja (most of a second),
    which is what a scheduled run costs beyond its kernels. The worker starts a
    session of its own, so that it and its kernel can be stopped as a process group;
    it gets this process's environment, working folder, stdout and stderr, as a
    child forked here would.
    With ``START_METHOD == "spawn"`` it is ``python -m forecast.schedule.worker SPEC``.
    """

    def __init__(self, spec: dict, *, quiet: bool) -> None:
        self._process: _ServedWorker | subprocess.Popen
        if START_METHOD == "forkserver":
            self._process = _server().fork(
                {**spec, "quiet": quiet, "cwd": os.getcwd(), "environ": dict(os.environ)}
            )
        else:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "forecast.schedule.worker", json.dumps(spec)],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL if quiet else None,
                start_new_session=True,
            )
        self.pid = self._process.pid

    def poll(self) -> int | None:
        """The exit status (negative: the signal that ended it), or ``None`` while it runs."""
        return self._process.poll()

    def wait(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds; ``subprocess.TimeoutExpired`` if it still runs."""
        return self._process.wait(timeout)


class _ServedWorker:
    """A worker forked by the fork server; its exit status comes back over a socket of its own."""

    def __init__(self, channel: socket.socket) -> None:
        self._channel = channel
        self._received = b""
        self.returncode: int | None = None
        pid = self._line(None)
        if not pid:
            raise RunError("the fork server that starts forecast's workers stopped before starting one")
        self.pid = int(pid)

    def _line(self, timeout: float | None) -> str | None:
        """The fork server's next line about this worker ("" if it died), or ``None`` after ``timeout`` s."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while b"\n" not in self._received:
            left = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not select.select([self._channel], [], [], left)[0]:
                return None
            chunk = self._channel.recv(64)
            if not chunk:
                return ""
            self._received += chunk
        line, self._received = self._received.split(b"\n", 1)
        return line.decode()

    def _status(self, timeout: float) -> int | None:
        if self.returncode is None:
            line = self._line(timeout)
            if line is None:
                return None
            # If the fork server was killed, the worker cannot say how it ended; orphaned, it stops itself.
            self.returncode = int(line) if line else 255
            self._channel.close()
        return self.returncode

    def poll(self) -> int | None:
        return self._status(0.0)

    def wait(self, timeout: float) -> int:
        status = self._status(timeout)
        if status is None:
            raise subprocess.TimeoutExpired(f"forecast worker {self.pid}", timeout)
        return status


class _ForkServer:
    """The parent's end of the fork server: one socket, over which each request passes a socket of its own.

    The server is started by :mod:`subprocess` (fork and exec with no Python code in
    between, safe from any thread), so it is a fresh interpreter with one thread; it
    exits when this process closes its end of the socket, or dies.
    """

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        code = (
            "import json, sys; sys.path[:] = json.loads(sys.argv[2]); "
            "import forecast.schedule.worker as w; w.serve(int(sys.argv[1]))"
        )
        self._process = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs.fileno()), json.dumps(sys.path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            pass_fds=[theirs.fileno()],
        )
        theirs.close()
        self._control = ours
        self._lock = threading.Lock()
        self.preloaded = False

    def alive(self) -> bool:
        return self._process.poll() is None

    def preload(self) -> None:
        """Have the server import papermill and nbconvert now, once, for every worker it forks."""
        with self._lock:
            if not self.preloaded:
                self._control.sendall(b"p")
                self.preloaded = True

    def fork(self, request: dict) -> _ServedWorker:
        """Fork a worker that runs ``request`` (a spec, with quiet, cwd and environ)."""
        ours, theirs = socket.socketpair()
        with theirs, self._lock:
            socket.send_fds(self._control, [b"w"], [theirs.fileno(), 1, 2])
        ours.sendall(json.dumps(request).encode() + b"\n")  # read by the worker, once forked
        return _ServedWorker(ours)


_SERVER: _ForkServer | None = None
_SERVER_LOCK = threading.Lock()


def _server() -> _ForkServer:
    global _SERVER
    with _SERVER_LOCK:
        if _SERVER is None or not _SERVER.alive():
            _SERVER = _ForkServer()
        return _SERVER


def start_server(*, preload_modules: bool = False) -> None:
    """Start the fork server that forks this process's workers, if it is not running yet.

    Call it early (``forecast run`` does, before its threads), so that the server starts
    while this process does other work; otherwise the first :class:`Worker` starts it.

    Parameters
    ----------
    preload_modules : bool
        Have the server import papermill and nbconvert (:func:`preload`) once, for every
        worker it forks: worth it for several workers. A single worker imports them
        itself while its kernel starts, on another core.
    """
    if START_METHOD != "forkserver":
        return
    server = _server()
    if preload_modules:
        server.preload()


def serve(control: int) -> None:
    """Run the fork server on the socket ``control`` (what :func:`start_server` starts).

    One thread: it waits for requests and for its children's exits, forks each worker
    and sends back its pid and then its exit status. ``p`` preloads (:func:`preload`);
    ``w``, with a socket and the requester's stdout and stderr, forks a worker.
    """
    # Ctrl-C or a SIGTERM to the run's process group reaches the run, which stops its workers and
    # needs the server to tell it when they have stopped; the server ends when the run closes its socket.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_write, False)
    signal.set_wakeup_fd(wake_write)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    requests = socket.socket(fileno=control)
    # What every worker needs first, to start its kernel; the rest it imports while the kernel starts.
    with contextlib.suppress(Exception):
        import jupyter_client.manager  # noqa: F401
        import jupyter_core.utils  # noqa: F401
    children: dict[int, socket.socket] = {}
    with selectors.DefaultSelector() as selector:
        selector.register(requests, selectors.EVENT_READ)
        selector.register(wake_read, selectors.EVENT_READ)
        while True:
            for key, _ in selector.select():
                if key.fileobj is not requests:
                    os.read(wake_read, 4096)
                    continue
                message, fds, _, _ = socket.recv_fds(requests, 1, 3)
                if not message:
                    return  # the run closed its end, or died: workers still running stop themselves
                if message == b"p":
                    with contextlib.suppress(Exception):  # a worker that needs them reports the error
                        preload()
                    continue
                if len(fds) != 3:  # a request cut short (out of descriptors): refuse it, keep serving
                    for fd in fds:
                        os.close(fd)
                    continue
                channel, stdout, stderr = (socket.socket(fileno=fds[0]), *fds[1:])
                pid = os.fork()
                if pid == 0:
                    for fd in (control, wake_read, wake_write, *(c.fileno() for c in children.values())):
                        os.close(fd)
                    _child(channel, stdout, stderr)  # never returns
                os.close(stdout)
                os.close(stderr)
                with contextlib.suppress(OSError):
                    channel.sendall(b"%d\n" % pid)
                children[pid] = channel
            while children:  # every child that has exited
                pid, status = os.waitpid(-1, os.WNOHANG)
                if pid == 0:
                    break
                channel = children.pop(pid, None)
                if channel is None:
                    continue
                with contextlib.suppress(OSError):
                    channel.sendall(b"%d\n" % os.waitstatus_to_exitcode(status))
                channel.close()


def _child(channel: socket.socket, stdout: int, stderr: int) -> None:
    """In a worker just forked by the fork server: take the requester's place, run, and exit."""
    status = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.setsid()
        with channel.makefile("rb") as reader:
            request = json.loads(reader.readline())
        channel.close()
        devnull = os.open(os.devnull, os.O_RDWR)
        os.dup2(devnull, 0)
        os.dup2(devnull if request["quiet"] else stdout, 1)
        os.dup2(stderr, 2)
        for fd in {devnull, stdout, stderr} - {0, 1, 2}:
            os.close(fd)
        os.environ.clear()
        os.environ.update(request["environ"])
        os.chdir(request["cwd"])
        status = run(request)
    except SystemExit as exc:  # SIGTERM (_stop), after papermill shut the kernel down
        status = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(status)


def preload() -> None:
    """Import papermill and nbconvert, once, in the fork server that will fork several workers.

    A worker forked after this imports nothing more. A server that forks a single
    worker need not call it: that worker imports them itself while its kernel
    starts, on another core.

    jsonschema, which nbformat imports, is imported first without its slow IRI checker
    (:func:`forecast.publish.summary.import_jsonschema`).
    """
    from ..publish.render import render_notebook  # noqa: F401  # Jinja, and the report's templates
    from ..publish.summary import import_jsonschema

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
        # The kernel runs in a session of its own (jupyter_client starts it so): the parent reads
        # this to stop it too, should this worker be stopped before it could (see KERNEL_RECORD).
        provisioner = self.manager.provisioner
        record = {"pid": getattr(provisioner, "pid", None), "pgid": getattr(provisioner, "pgid", None)}
        with contextlib.suppress(OSError):
            (cwd / KERNEL_RECORD).write_text(json.dumps(record), encoding="utf-8")

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


def reap_kernel(scratch: Path) -> bool:
    """Kill the kernel a worker in ``scratch`` started, if it outlived its worker; whether one was killed.

    A kernel runs in a session of its own, so signals to its worker's process group do
    not reach it, and a kernel that is stopped (SIGSTOP) or hung never sees its worker
    go. Call once the worker has exited. The kernel is known by what its worker recorded
    (:data:`KERNEL_RECORD`), and is killed only while that process still runs with the
    scratch folder as its working folder (on systems with ``/proc``), so that a process
    that took its number since is never touched. SIGKILL reaches a stopped process too.
    """
    try:
        record = json.loads((scratch / KERNEL_RECORD).read_text(encoding="utf-8"))
        pid, pgid = int(record["pid"]), int(record["pgid"])
    except (OSError, ValueError, TypeError, KeyError):
        return False
    if pid <= 1 or pgid <= 1 or pgid == os.getpgrp():
        return False
    try:
        if os.getpgid(pid) != pgid:
            return False
        proc = Path("/proc") / str(pid)
        if proc.is_dir() and os.path.realpath(proc / "cwd") != os.path.realpath(scratch):
            return False
        os.killpg(pgid, signal.SIGKILL)
    except (OSError, ValueError):  # gone already, or not ours to signal
        return False
    return True


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
        from ..publish.render import render_notebook

        render_notebook(
            executed,
            scratch / "report.html",
            title=spec["title"],
            index_href=spec["index_href"],
            history_href=spec.get("history_href"),
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
