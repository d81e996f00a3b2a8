"""hookflow's process launcher: one long-lived process per worker that starts job processes.

Node's child_process.spawn costs several milliseconds per start; os.posix_spawn (vfork + exec)
from this small loop is several times faster, which matters for workflows of many short
commands. It speaks JSON lines (see launcher.ts for the protocol):

  in:  {"op": "spawn", "id": N, "argv": [...], "cwd": "/abs", "env": {...},
        "stdout_path": "/abs", "stderr_path": "/abs", "new_session": true, "after": M}
                                                    "after" (optional): start it when request M's
                                                    process exits (at once if M is not running);
                                                    "env_base" (optional): K of an "env" op, which
                                                    "env" then goes over
       {"op": "env", "key": K, "env": {...}}          an environment base, sent once and named by
       {"op": "env_drop", "key": K}                   the spawns that use it (instead of ~3 KB each)
       {"op": "kill", "pid": P, "signal": 15}
  out: {"ready": 1, "pid": launcher_pid}            once, before any request is read
       {"id": N, "pid": P, "stdout_offset": S, "stderr_offset": S, "at": T}
                                                    started (offsets: file sizes before it ran;
                                                    T: when, in epoch ms)
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
APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC
O_TMPFILE = getattr(os, "O_TMPFILE", None)
# A new output file starts without a name (O_TMPFILE) and is given its name when the process has
# written to it, or has run this long (so its output can be followed), or left others running in
# its group. A short job that writes nothing leaves no empty files: creating two named files per
# job (and syncing the directory entries with the store's next commit) cost more than the job.
NAME_AFTER = 0.1
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
        reply_line(json.dumps(message, separators=(",", ":")).encode() + b"\n", defer)

    def reply_line(line, defer=False):
        replies.append(line)
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
    children = {}  # pid -> (request id, stdout path, stderr path, unnamed output files [(fd, path)], time to name them)
    running_ids = set()
    # request id -> the request to start when that request's process exits. A worker queues its
    # next short jobs here, so they start without waiting for the worker to hear of the exit.
    followers = {}
    following_ids = set()  # ids of the requests in followers
    # When name_due() has work next (None: no unnamed output files), so the loop scans only then.
    next_naming = [None]
    stdin = sys.stdin.fileno()
    pending = b""
    env_bases = {}  # key -> an environment spawns name as their "env_base"

    def spawn(request):
        rid = request.get("id")
        after = request.get("after")
        if after is not None and (after in running_ids or after in following_ids):
            followers[after] = request
            following_ids.add(rid)
            return
        opened = []
        try:
            argv = request["argv"]
            env = request.get("env") or {}
            base_key = request.get("env_base")
            if base_key is not None:
                base = request.get("base")
                if base is None:
                    raise LookupError("unknown environment base %r" % (base_key,))
                env = {**base, **env}
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
            unnamed = []
            out_fd = open_output(out_path, unnamed)
            opened.append(out_fd)
            if err_path == out_path:
                err_fd = out_fd
            else:
                err_fd = open_output(err_path, unnamed)
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
            name_at = time.monotonic() + NAME_AFTER
            children[pid] = (rid, out_path, err_path, unnamed, name_at)
            running_ids.add(rid)
            if unnamed and (next_naming[0] is None or name_at < next_naming[0]):
                next_naming[0] = name_at
            # The unnamed files stay open here until they are named or dropped.
            opened = [fd for fd in opened if all(fd != kept for kept, _ in unnamed)]
            # "at": when it started (epoch ms): the reply itself may wait for the exit (see flush).
            reply_line(start_line(rid, pid, out_size, err_size, int(time.time() * 1000)), defer=True)
        except Exception as error:  # noqa: BLE001 - every failure is reported to the caller
            reply({"id": rid, "error": describe(error)})
            # Whatever waited for it to exit waits no more.
            start_follower(rid)
        finally:
            for fd in set(opened):
                os.close(fd)

    def start_follower(rid):
        follower = followers.pop(rid, None)
        if follower is not None:
            following_ids.discard(follower.get("id"))
            spawn(follower)

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
            rid, out_path, err_path, unnamed, _ = child
            running_ids.discard(rid)
            sizes = settle_outputs(pid, unnamed)
            # The sizes let the worker skip reading the files when nothing was written.
            out_size = sizes[out_path] if out_path in sizes else file_size(out_path)
            err_size = sizes[err_path] if err_path in sizes else file_size(err_path)
            if os.WIFSIGNALED(status):
                number = os.WTERMSIG(status)
                reply({"id": rid, "exit_code": None, "signal": SIGNAL_NAMES.get(number, str(number)), "stdout_size": out_size, "stderr_size": err_size})
            else:
                reply_line(exit_line(rid, os.waitstatus_to_exitcode(status), out_size, err_size))
            # After the exit's reply: the worker hears of an end before the start that followed it.
            start_follower(rid)

    def name_due():
        """Names the output files of children that have run NAME_AFTER; the next deadline, or None."""
        now = time.monotonic()
        upcoming = None
        for pid, child in list(children.items()):
            unnamed, name_at = child[3], child[4]
            if not unnamed:
                continue
            if name_at <= now:
                for fd, path in unnamed:
                    name_output(fd, path)
                    os.close(fd)
                unnamed.clear()
            elif upcoming is None or name_at < upcoming:
                upcoming = name_at
        return upcoming

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
            if request.get("env_base") is not None:
                # Taken now: a start queued behind another one may run after its base was dropped.
                request["base"] = env_bases.get(request["env_base"])
            spawn(request)
        elif op == "env":
            if request.get("key") is None or not isinstance(request.get("env"), dict):
                reply({"error": "bad env request: it needs a key and an env object"})
            else:
                env_bases[request["key"]] = request["env"]
        elif op == "env_drop":
            env_bases.pop(request.get("key"), None)
        elif op == "kill":
            kill(request)
        else:
            reply({"id": request.get("id"), "error": "unknown op %r" % (op,)})

    reply({"ready": 1, "pid": os.getpid()})
    flush(force=True)
    eof = False
    while not eof and not terminated[0]:
        try:
            deadline = None if deferred_since[0] is None else deferred_since[0] + START_REPLY_DELAY
            if next_naming[0] is not None and (deadline is None or next_naming[0] < deadline):
                deadline = next_naming[0]
            timeout = 1.0 if deadline is None else max(0.0, deadline - time.monotonic())
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
        if next_naming[0] is not None and time.monotonic() >= next_naming[0]:
            next_naming[0] = name_due()
        try:
            flush()
        except BrokenPipeError:
            eof = True

    # The worker closed it or went away (or it was told to stop): nobody will run these jobs on, so
    # they must not run on unobserved. Their ends are still reported while someone reads them.
    for request in followers.values():
        reply({"id": request.get("id"), "error": "not started: the launcher is stopping"})
    followers.clear()
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
    for child in children.values():
        for fd, path in child[3]:
            name_output(fd, path)
    try:
        flush(force=True)
    except BrokenPipeError:
        pass


def json_number(value):
    return b"null" if value is None else b"%d" % value


def start_line(rid, pid, out_size, err_size, at):
    """A start's reply: as json.dumps writes it, formatted directly (one per job: a hot path)."""
    if type(rid) is not int:
        return json.dumps({"id": rid, "pid": pid, "stdout_offset": out_size, "stderr_offset": err_size, "at": at}, separators=(",", ":")).encode() + b"\n"
    return b'{"id":%d,"pid":%d,"stdout_offset":%d,"stderr_offset":%d,"at":%d}\n' % (rid, pid, out_size, err_size, at)


def exit_line(rid, exit_code, out_size, err_size):
    """The reply to a process's exit (not by a signal), formatted directly as start_line is."""
    if type(rid) is not int:
        message = {"id": rid, "exit_code": exit_code, "signal": None, "stdout_size": out_size, "stderr_size": err_size}
        return json.dumps(message, separators=(",", ":")).encode() + b"\n"
    return b'{"id":%d,"exit_code":%d,"signal":null,"stdout_size":%s,"stderr_size":%s}\n' % (rid, exit_code, json_number(out_size), json_number(err_size))


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


def open_output(path, unnamed):
    """An output file's descriptor: an existing file is appended to (a retry adds to its log); a new one starts unnamed."""
    try:
        return os.open(path, APPEND_FLAGS)
    except FileNotFoundError:
        pass
    if O_TMPFILE is not None:
        try:
            # Readable too: naming it may have to copy it (see name_output).
            fd = os.open(os.path.dirname(path) or ".", O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o644)
            unnamed.append((fd, path))
            return fd
        except OSError:
            pass  # a file system without O_TMPFILE, or a missing folder (the plain open says which)
    return os.open(path, OPEN_FLAGS, 0o644)


def name_output(fd, path):
    """Gives an unnamed output file its name; when a file of that name appeared meanwhile, appends to it."""
    try:
        # A dir_fd makes Python call linkat(…, AT_SYMLINK_FOLLOW), which links the file the
        # /proc entry points to (plain link() would try to link the symlink itself: EXDEV).
        os.link("/proc/self/fd/%d" % fd, path, src_dir_fd=root_fd(), follow_symlinks=True)
        return
    except FileExistsError:
        pass
    except OSError:
        pass  # no /proc: copy instead
    target = os.open(path, OPEN_FLAGS, 0o644)
    try:
        offset = 0
        while True:
            data = os.pread(fd, 1 << 20, offset)
            if not data:
                break
            os.write(target, data)
            offset += len(data)
    finally:
        os.close(target)


ROOT_FD = []


def root_fd():
    if not ROOT_FD:
        ROOT_FD.append(os.open("/", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC))
    return ROOT_FD[0]


def group_alive(pid):
    try:
        os.killpg(pid, 0)
        return True
    except OSError:
        return False


def settle_outputs(pid, unnamed):
    """At a process's exit: names its unnamed output files that were written to (or still may be); their sizes by path."""
    sizes = {}
    if not unnamed:
        return sizes
    alive = group_alive(pid)
    for fd, path in unnamed:
        try:
            size = os.fstat(fd).st_size
            if size > 0 or alive:
                name_output(fd, path)
            sizes[path] = size
        finally:
            os.close(fd)
    unnamed.clear()
    return sizes


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
