"""Run model-written code as hostile: no network, read-only filesystem, uid 65534, resource limits, wall clock.

One step (compile, or run) is one command line, started in its own session with stdin closed and a stripped env:

    setpriv --pdeathsig=KILL -- unshare --net --mount --pid --ipc --uts --fork --kill-child --mount-proc -- \
      python -I -S init.py STATUS_FD WORKDIR \
        setpriv --reuid=65534 --regid=65534 --clear-groups --no-new-privs --inh-caps=-all --bounding-set=-all -- \
          prlimit --cpu=.. --as=.. --fsize=.. --nproc=.. --nofile=.. --core=0 -- PROGRAM ARGS

init.py (root, PID 1 of the new PID namespace) makes every mount read-only in this mount namespace, hides /tmp,
/var/tmp, /dev/shm and /run under empty read-only tmpfs, bind-mounts WORKDIR (fresh, in the root-owned 0711
BASE_DIR, which no tmpfs hides) writable, and runs the chain. Limits are set after the drop to uid 65534, because
root ignores RLIMIT_NPROC. When init exits or is killed, the kernel kills everything left in the namespace.
Without namespaces (not root), `allow_unsandboxed=True` runs just the prlimit chain, and says so in stderr.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from gapbench.sandbox.languages import LANGUAGES, SANDBOX_PATH, Limits, fill, find_tool, unavailable_reason

SANDBOX_UID = SANDBOX_GID = 65534
BASE_DIR = Path("/var/lib/gapbench/sandbox")
OUTPUT_LIMIT = 64 * 1024
STALE_AFTER_S = 24 * 3600
_ADMIN_TOOLS = ("unshare", "setpriv", "prlimit", "mount")

_SETPRIV = ("setpriv", f"--reuid={SANDBOX_UID}", f"--regid={SANDBOX_GID}", "--clear-groups", "--no-new-privs",
            "--inh-caps=-all", "--bounding-set=-all", "--")
# pdeathsig/--kill-child: if gapbench itself dies, unshare and then the namespace's init die with it
_UNSHARE = ("setpriv", "--pdeathsig=KILL", "--", "unshare", "--net", "--mount", "--pid", "--ipc", "--uts", "--fork",
            "--kill-child", "--mount-proc", "--", sys.executable, "-I", "-S", str(Path(__file__).with_name("init.py")))


@dataclass
class SandboxResult:
    status: str  # "passed" (exit 0) | "failed" | "timeout" | "killed" (by a signal) | "refused" (not run)
    returncode: int | None  # negative: killed by that signal; None: timeout or refused
    stdout: str
    stderr: str
    duration_s: float

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_json(self) -> dict:
        return {**asdict(self), "duration_s": round(self.duration_s, 3)}


def _refused(reason: str) -> SandboxResult:
    return SandboxResult("refused", None, "", f"sandbox: refused: {reason}\n", 0.0)


def _run_as_root() -> bool:
    return os.geteuid() == 0


def _make_workdir() -> Path:
    """A fresh directory the sandbox user can write; as root it lies in BASE_DIR (0711), which no tmpfs hides."""
    if not _run_as_root():
        return Path(tempfile.mkdtemp(prefix="gapbench-sandbox-"))
    BASE_DIR.mkdir(parents=True, exist_ok=True)
    os.chmod(BASE_DIR, 0o711)
    for stale in BASE_DIR.iterdir():  # left by a gapbench that was killed mid-run
        with contextlib.suppress(OSError):
            if time.time() - stale.stat().st_mtime > STALE_AFTER_S:
                shutil.rmtree(stale, ignore_errors=True)
    workdir = Path(tempfile.mkdtemp(dir=BASE_DIR))
    os.chown(workdir, SANDBOX_UID, SANDBOX_GID)
    return workdir


def _command(argv: list[str], limits: Limits, timeout_s: float, workdir: Path, status_fd: int | None) -> list[str]:
    flags = limits.prlimit_flags(timeout_s)
    if not _run_as_root():  # RLIMIT_NPROC would count all of this user's processes
        flags = [f for f in flags if not f.startswith("--nproc")]
    cmd = ["prlimit", *flags, "--", *argv]
    if _run_as_root():
        cmd = [*_SETPRIV, *cmd]  # drop first: root ignores RLIMIT_NPROC
    return cmd if status_fd is None else [*_UNSHARE, str(status_fd), str(workdir), *cmd]


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (OSError, ValueError):
        return [int(d) for d in os.listdir("/proc") if d.isdigit() and _ppid(d) == pid]


def _ppid(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _kill_everything(proc: subprocess.Popen, isolated: bool) -> None:
    """Leave no process behind, also after a normal exit (isolated: return only once the namespace is empty)."""
    if isolated and proc.returncode is None:  # still running, so its pid is still its own: SIGKILL the
        for pid in _children(proc.pid):  # namespace's init; the kernel kills the rest, then unshare exits
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=5)
    if not isolated or proc.returncode is None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def _read(f) -> str:
    """The head of the output, and its last kilobyte when the middle had to be cut."""
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    data = f.read(OUTPUT_LIMIT)
    text = data.decode("utf-8", errors="replace")
    if size <= OUTPUT_LIMIT:
        return text
    f.seek(max(OUTPUT_LIMIT, size - 1024))
    return text + "\n[... output truncated]\n" + f.read().decode("utf-8", errors="replace")


def _wait_status(read_fd: int) -> int | None:
    """The raw wait status init.py reported, or None (not isolated, or init itself died)."""
    os.set_blocking(read_fd, False)
    try:
        data = os.read(read_fd, 64)
    except BlockingIOError:
        data = b""
    finally:
        os.close(read_fd)
    return int(data) if data.isdigit() else None


def _execute(argv: list[str], limits: Limits, timeout_s: float, workdir: Path, isolate: bool) -> SandboxResult:
    """Run one step; output goes to unlinked temp files (capped by RLIMIT_FSIZE), never into our memory whole."""
    env = {"PATH": SANDBOX_PATH, "LANG": "C.UTF-8", "HOME": str(workdir)}
    read_fd, write_fd = os.pipe() if isolate else (None, None)
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            proc = subprocess.Popen(_command(argv, limits, timeout_s, workdir, write_fd), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=err, env=env, cwd=workdir, start_new_session=True,
                                    pass_fds=() if write_fd is None else (write_fd,))
        except OSError as e:
            if read_fd is not None:
                os.close(read_fd)
            return SandboxResult("failed", None, "", f"sandbox: cannot start {argv[0]}: {e}\n", 0.0)
        finally:
            if write_fd is not None:
                os.close(write_fd)
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            _kill_everything(proc, isolate)
        duration = time.monotonic() - start
        stdout, stderr = _read(out), _read(err)
    # util-linux 2.38 unshare cannot re-raise a SIGKILL its child died of; init.py reports statuses instead
    stderr = stderr.replace("unshare: sigprocmask unblock failed: Invalid argument\n", "")
    status = _wait_status(read_fd) if read_fd is not None else None
    rc = proc.returncode if status is None else os.waitstatus_to_exitcode(status)
    if timed_out:
        return SandboxResult("timeout", None, stdout, stderr + f"sandbox: wall-clock timeout after {timeout_s:g} s; "
                             "all processes killed\n", duration)
    if rc < 0:
        name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
        return SandboxResult("killed", rc, stdout, stderr + f"sandbox: killed by {name} (a resource limit or a "
                             "crash)\n", duration)
    return SandboxResult("passed" if rc == 0 else "failed", rc, stdout, stderr, duration)


@functools.lru_cache(maxsize=1)
def sandbox_available() -> tuple[bool, str]:
    """(True, "") when namespaces and the drop to uid 65534 work here, else (False, why). Probed once."""
    if not _run_as_root():
        return False, "the sandbox needs root (network/mount/PID namespaces, then a drop to uid 65534)"
    missing = [t for t in _ADMIN_TOOLS if shutil.which(t, path=SANDBOX_PATH) is None]
    if missing or find_tool("sh") is None:
        return False, f"missing {', '.join(missing or ['sh'])} in {SANDBOX_PATH}"
    try:
        workdir = _make_workdir()
    except OSError as e:
        return False, f"cannot create a working directory in {BASE_DIR}: {e}"
    try:
        probe = ["/bin/sh", "-c", "id -u; tail -n +3 /proc/net/dev | cut -d: -f1; touch ok && ! touch /tmp/.probe 2>&-"]
        r = _execute(probe, Limits(cpu_s=5), 10.0, workdir, isolate=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if r.stdout.split() != [str(SANDBOX_UID), "lo"] or r.status != "passed":
        first = (r.stderr.strip() or r.stdout.strip() or r.status).splitlines()[0]
        return False, f"namespace probe failed: {first}"
    return True, ""


def run_code(source: str, language: str = "python", *, timeout_s: float = 10.0, allow_unsandboxed: bool = False,
             limits: Limits | None = None) -> SandboxResult:
    """Compile (if the language needs it) and run `source` in a fresh sandbox; never raises for bad code.

    `timeout_s` is the wall clock of the run step (a compile step gets max(timeout_s, 60 s)); `limits` replaces the
    language's run-step limits (see LANGUAGES), and its cpu_s=None means timeout_s + 2 CPU seconds.
    """
    reason = unavailable_reason(language)
    if reason:
        return _refused(f"language {language} is unavailable: {reason}")
    ok, why = sandbox_available()
    note = ""
    if not ok:
        if not allow_unsandboxed:
            return _refused(f"{why}; pass allow_unsandboxed=True (--allow-unsandboxed-code) to run with resource "
                            "limits only")
        note = f"sandbox: WARNING: ran without network, filesystem or process isolation ({why})\n"
    lang = LANGUAGES[language]
    start = time.monotonic()
    try:
        workdir = _make_workdir()
    except OSError as e:
        return _refused(f"cannot create a working directory: {e}")
    try:
        filename, run_argv = fill(lang, lang.run, source)
        (workdir / filename).write_text(source, encoding="utf-8", errors="replace")
        os.chmod(workdir / filename, 0o644)
        result = None
        if lang.compile:
            _, compile_argv = fill(lang, lang.compile, source)
            result = _execute(compile_argv, lang.compile_limits, max(timeout_s, lang.compile_timeout_s), workdir, ok)
            if result.status == "passed":
                result = None
            else:
                result.stderr = "sandbox: compilation failed\n" + result.stderr
        if result is None:
            result = _execute(run_argv, limits or lang.run_limits, timeout_s, workdir, ok)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    result.stderr = note + result.stderr
    result.duration_s = time.monotonic() - start
    return result
