"""hookflow's process launcher: one long-lived process per worker that starts job processes.

Node's child_process.spawn costs several milliseconds per start; os.posix_spawn (vfork + exec)
from this small loop is several times faster, which matters for workflows of many short
commands. It speaks JSON lines (see launcher.ts for the protocol):

  in:  {"op": "spawn", "id": N, "argv": [...], "cwd": "/abs", "env": {...},
        "stdout_path": "/abs", "stderr_path": "/abs", "new_session": true}
       {"op": "kill", "pid": P, "signal": 15}
  out: {"ready": 1, "pid": launcher_pid}            once, before any request is read
       {"id": N, "pid": P, "stdout_offset": S, "stderr_offset": S}
                                                    started (offsets: file sizes before it ran)
       {"id": N, "error": "..."}                    not started
       {"id": N, "exit_code": C|null, "signal": "SIGTERM"|null, "stdout_size": S, "stderr_size": S}
       {"error": "...", "pid": P}                   a kill that failed (other than ESRCH)

Each child gets /dev/null as stdin and its output files opened for appending, and runs in a
session of its own (so killing the group reaches everything it started). Exits are reaped as
SIGCHLD arrives, so any number of children run at once. When stdin closes (the worker went
away) or SIGTERM comes, the remaining children are terminated (SIGTERM, SIGKILL 2 s later): their
jobs will be run again elsewhere. SIGINT is ignored: the worker decides.
"""

import errno
import json
import os
import select
import shutil
import signal
import sys
import time

OPEN_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC
# Seconds a start's reply may wait for the process's exit, to go out with it.
START_REPLY_DELAY = 0.002
SIGNAL_NAMES = {int(s): s.name for s in signal.Signals}
# Ignored here (by Python, or below); a child must start with them at their defaults (`yes | head`).
DEFAULT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGPIPE", "SIGXFSZ", "SIGCHLD", "SIGINT") if hasattr(signal, name))


def main():
    out = os.fdopen(1, "wb", buffering=0)
    replies = []

    # A start's reply may wait a little: a short process's exit then goes in the same write, and the
    # worker wakes once instead of twice. Any other reply is sent at the end of the turn.
    deferred_since = [None]
    urgent = [False]

    def reply(message, defer=False):
        replies.append(json.dumps(message, separators=(",", ":")).encode() + b"\n")
        if not defer:
            urgent[0] = True
        elif deferred_since[0] is None:
            deferred_since[0] = time.monotonic()

    def flush(force=False):
        if not replies:
            return
        waited = deferred_since[0] is not None and time.monotonic() - deferred_since[0] >= START_REPLY_DELAY
        if urgent[0] or force or waited:
            data = b"".join(replies)
            replies.clear()
            urgent[0] = False
            deferred_since[0] = None
            view = memoryview(data)
            while view:
                written = out.write(view)
                view = view[written:]

    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_r, False)
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    # Ctrl-C reaches the worker's whole process group: the worker decides what happens to its jobs
    # (closing stdin). A SIGTERM of the launcher itself ends its children first, as EOF does.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    terminated = [False]

    def on_term(signum, frame):
        terminated[0] = True

    signal.signal(signal.SIGTERM, on_term)
    devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    children = {}  # pid -> (request id, stdout path, stderr path)
    stdin = sys.stdin.fileno()
    pending = b""

    def spawn(request):
        rid = request.get("id")
        opened = []
        try:
            argv = request["argv"]
            env = request.get("env") or {}
            program = argv[0]
            if "/" not in program:
                program = find_program(program, env.get("PATH", os.defpath))
            cwd = request.get("cwd")
            if cwd:
                # posix_spawn has no chdir action in Python: the launcher moves instead (the paths
                # it is given are absolute).
                os.chdir(cwd)
            out_path = request["stdout_path"]
            err_path = request["stderr_path"]
            out_fd = os.open(out_path, OPEN_FLAGS, 0o644)
            opened.append(out_fd)
            if err_path == out_path:
                err_fd = out_fd
            else:
                err_fd = os.open(err_path, OPEN_FLAGS, 0o644)
                opened.append(err_fd)
            out_size = os.fstat(out_fd).st_size
            err_size = out_size if err_fd == out_fd else os.fstat(err_fd).st_size
            actions = [
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, out_fd, 1),
                (os.POSIX_SPAWN_DUP2, err_fd, 2),
            ]
            if request.get("new_session", True):
                pid = os.posix_spawn(program, argv, env, file_actions=actions, setsid=True, setsigdef=DEFAULT_SIGNALS)
            else:
                pid = os.posix_spawn(program, argv, env, file_actions=actions, setpgroup=0, setsigdef=DEFAULT_SIGNALS)
            children[pid] = (rid, out_path, err_path)
            reply({"id": rid, "pid": pid, "stdout_offset": out_size, "stderr_offset": err_size}, defer=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported to the caller
            reply({"id": rid, "error": describe(error)})
        finally:
            for fd in opened:
                os.close(fd)

    def kill(request):
        pid = int(request["pid"])
        sig = int(request.get("signal", signal.SIGTERM))
        if pid <= 1:
            return
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            pass
        except OSError as error:
            reply({"error": "kill %d: %s" % (pid, describe(error)), "pid": pid})

    def reap():
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            child = children.pop(pid, None)
            if child is None:
                continue
            rid, out_path, err_path = child
            message = {"id": rid, "exit_code": None, "signal": None}
            if os.WIFSIGNALED(status):
                number = os.WTERMSIG(status)
                message["signal"] = SIGNAL_NAMES.get(number, str(number))
            else:
                message["exit_code"] = os.waitstatus_to_exitcode(status)
            # The sizes let the worker skip reading the files when nothing was written.
            message["stdout_size"] = file_size(out_path)
            message["stderr_size"] = file_size(err_path)
            reply(message)

    def handle(line):
        if not line.strip():
            return
        try:
            request = json.loads(line)
        except ValueError as error:
            reply({"error": "bad request: %s" % error})
            return
        op = request.get("op")
        if op == "spawn":
            spawn(request)
        elif op == "kill":
            kill(request)
        else:
            reply({"id": request.get("id"), "error": "unknown op %r" % (op,)})

    reply({"ready": 1, "pid": os.getpid()})
    flush(force=True)
    eof = False
    while not eof and not terminated[0]:
        try:
            timeout = 1.0 if deferred_since[0] is None else max(0.0, deferred_since[0] + START_REPLY_DELAY - time.monotonic())
            readable, _, _ = select.select([stdin, wake_r], [], [], timeout)
        except InterruptedError:
            readable = []
        if wake_r in readable:
            try:
                while os.read(wake_r, 4096):
                    pass
            except BlockingIOError:
                pass
        if stdin in readable:
            chunk = os.read(stdin, 1 << 20)
            if not chunk:
                eof = True
            else:
                pending += chunk
                lines = pending.split(b"\n")
                pending = lines.pop()
                for line in lines:
                    handle(line)
        # Reaping on every turn (not only on SIGCHLD) costs one syscall and never misses an exit.
        reap()
        try:
            flush()
        except BrokenPipeError:
            eof = True

    # The worker closed it or went away (or it was told to stop): nobody will run these jobs on, so
    # they must not run on unobserved. Their ends are still reported while someone reads them.
    for pid in list(children):
        try:
            os.killpg(pid, signal.SIGTERM)
        except OSError:
            pass
    killed_at = time.monotonic() + 2.0
    give_up_at = killed_at + 2.0
    while children and time.monotonic() < give_up_at:
        if killed_at is not None and time.monotonic() >= killed_at:
            for pid in list(children):
                try:
                    os.killpg(pid, signal.SIGKILL)
                except OSError:
                    pass
            killed_at = None
        time.sleep(0.01)
        reap()
    try:
        flush(force=True)
    except BrokenPipeError:
        pass


PROGRAMS = {}


def find_program(name, path):
    """A program's path by PATH lookup; found ones are remembered (a worker runs the same ones again)."""
    key = (name, path)
    found = PROGRAMS.get(key)
    if found is not None and os.access(found, os.X_OK):
        return found
    found = shutil.which(name, path=path)
    if found is None:
        raise FileNotFoundError(errno.ENOENT, "command not found", name)
    if len(PROGRAMS) > 1000:
        PROGRAMS.clear()
    PROGRAMS[key] = found
    return found


def file_size(path):
    try:
        return os.stat(path).st_size
    except OSError:
        return None


def describe(error):
    if isinstance(error, OSError):
        text = error.strerror or str(error)
        if error.filename:
            text = "%s: %s" % (text, error.filename)
        return text
    if isinstance(error, KeyError):
        return "missing field %s" % error
    return "%s: %s" % (type(error).__name__, error)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
