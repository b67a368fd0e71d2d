"""The sandbox against hostile programs: real processes, real namespaces, no mocks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import REPO, gapbench_cli
from gapbench.sandbox import Limits, available_languages, run_code, sandbox_available
from gapbench.sandbox.run import OUTPUT_LIMIT, SANDBOX_UID

OK, WHY = sandbox_available()
pytestmark = pytest.mark.skipif(not OK, reason=f"sandbox unavailable here: {WHY}")


@pytest.fixture(autouse=True)
def no_leftovers():
    """Every test: nothing runs as the sandbox user before or after."""
    assert sandbox_processes() == []
    yield
    assert sandbox_processes() == [], "processes of the sandbox user survived the run"


def sandbox_processes() -> list[int]:
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            uid_line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(uid_line.split()[1]) == SANDBOX_UID:
            pids.append(int(pid))
    return pids


def running_main_py() -> bool:
    for pid in sandbox_processes():
        try:
            if b"main.py" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return True
        except OSError:
            pass
    return False


def py(source: str, **kwargs):
    return run_code(textwrap.dedent(source), "python", **kwargs)


def test_normal_program_passes_with_its_stdout():
    r = py("print('hello', 6 * 7)")
    assert (r.status, r.returncode, r.stdout, r.stderr) == ("passed", 0, "hello 42\n", "")
    assert set(r.to_json()) == {"status", "returncode", "stdout", "stderr", "duration_s"}


def test_exit_code_and_syntax_error_are_failures():
    r = py("import sys; print('before'); sys.exit(3)")
    assert (r.status, r.returncode, r.stdout) == ("failed", 3, "before\n")
    r = py("def f(:\n    pass")
    assert r.status == "failed" and r.returncode == 1 and "SyntaxError" in r.stderr


@pytest.mark.parametrize("bomb", [
    """
    import os
    while True:
        try:
            os.fork()
        except OSError:
            pass
    """,
    """
    import multiprocessing, time
    if __name__ == "__main__":
        for _ in range(10_000):
            multiprocessing.Process(target=time.sleep, args=(60,)).start()
    """,
], ids=["os.fork", "multiprocessing"])
def test_fork_bomb_is_contained(bomb):
    r = py(bomb, timeout_s=2)
    assert r.status in ("timeout", "failed", "killed"), r
    # the autouse fixture then checks that no process of the sandbox user is left


def test_infinite_loop_times_out_and_kills_even_escaped_children():
    source = """
    import os, time
    if os.fork() == 0:       # a child that leaves the process group and forks again
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        time.sleep(600)
    while True:
        pass
    """
    start = time.monotonic()
    r = py(source, timeout_s=1.5)
    assert r.status == "timeout" and r.returncode is None, r
    assert time.monotonic() - start < 1.5 + 2
    assert "timeout" in r.stderr


def test_cpu_limit_kills_with_a_signal():
    r = py("while True: pass", timeout_s=5, limits=Limits(cpu_s=1))
    assert r.status == "killed" and r.returncode == -signal.SIGXCPU, r
    assert r.duration_s < 4


@pytest.mark.parametrize("source", ["x = bytearray(10 * 1024**3)",
                                    "chunks = []\nwhile True:\n    chunks.append(bytearray(10**7))"],
                         ids=["bytearray", "list-append"])
def test_10gb_allocation_is_refused(source):
    r = py(source, timeout_s=15)  # first touches of guest memory can be slow in a fresh VM
    assert r.status in ("failed", "killed"), r
    assert r.status == "killed" or "MemoryError" in r.stderr


def test_1gb_file_stops_at_the_file_size_limit():
    name = f"gapbench-big-{uuid.uuid4().hex}"
    r = py(f"""
    import os
    print(os.getcwd(), flush=True)
    written = 0
    try:
        with open({name!r}, "wb") as f:
            for _ in range(1024):
                f.write(b"x" * 1024 * 1024)
                written += 1024 * 1024
    finally:
        print(written, flush=True)
    """, timeout_s=10)
    assert r.status in ("failed", "killed") and "File too large" in r.stderr, r
    workdir, written = r.stdout.split()
    assert int(written) <= 16 * 1024 * 1024
    assert not Path(workdir).exists(), "the working directory was not removed"
    for place in ("/tmp", "/var/tmp", "/dev/shm", str(REPO)):
        assert not (Path(place) / name).exists()


def test_network_is_unreachable_even_on_loopback():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    try:
        r = py(f"""
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
            print("CONNECTED")
        except OSError as e:
            print("BLOCKED", e)
        """)
        listener.setblocking(False)
        with pytest.raises(BlockingIOError):
            listener.accept()
    finally:
        listener.close()
    assert r.status == "passed" and r.stdout.startswith("BLOCKED"), r


def test_parent_secrets_are_not_in_the_environment(monkeypatch):
    secret = "sk-gapbench-" + uuid.uuid4().hex
    monkeypatch.setenv("GAPBENCH_TEST_SECRET", secret)
    r = py("""
    import json, os
    print(json.dumps(dict(os.environ)))
    for pid in os.listdir("/proc"):        # nor in any other process we can see
        if pid.isdigit():
            try:
                print(open(f"/proc/{pid}/environ", "rb").read())
            except OSError:
                pass
    """)
    assert r.status == "passed", r
    assert secret not in r.stdout
    env = json.loads(r.stdout.splitlines()[0])
    assert set(env) == {"PATH", "LANG", "HOME"} and env["PATH"] == "/usr/bin:/bin"


def test_writes_outside_the_working_directory_fail():
    name = f"gapbench-escape-{uuid.uuid4().hex}"
    targets = [str(Path(d) / name) for d in ("/tmp", "/var/tmp", "/dev/shm", str(REPO), "/root", "/run", "/")]
    r = py(f"""
    for path in {targets!r} + ["inside.txt"]:
        try:
            with open(path, "w") as f:
                f.write("escaped")
            print("WROTE", path)
        except OSError as e:
            print("DENIED", path, e.strerror)
    """)
    assert r.status == "passed", r
    lines = r.stdout.splitlines()
    assert lines[-1] == "WROTE inside.txt", r.stdout  # the working directory itself is writable
    assert all(line.startswith("DENIED") for line in lines[:-1]) and len(lines) == len(targets) + 1, r.stdout
    for target in targets:
        assert not os.path.lexists(target)


def test_output_is_truncated_keeping_head_and_tail():
    r = py("print('x' * 500_000)\nprint('the end')")
    assert r.status == "passed" and len(r.stdout) < OUTPUT_LIMIT + 1200
    assert r.stdout.startswith("xxx") and "[... output truncated]" in r.stdout and r.stdout.endswith("the end\n")


PROGRAMS = {
    "cpp": ('#include <iostream>\nint main() { std::cout << "hi " << 6 * 7 << std::endl; return 0; }\n',
            '#include <cassert>\nint main() { assert(1 + 1 == 3); return 0; }\n'),
    "js": ('console.log("hi", 6 * 7);\n',
           'const assert = require("assert");\nassert.strictEqual(1 + 1, 3);\n'),
    "java": ('public class Main {\n  public static void main(String[] a) { System.out.println("hi " + 6 * 7); }\n}\n',
             'public class Main {\n  public static void main(String[] a) {\n'
             '    if (1 + 1 != 3) { throw new AssertionError("wrong"); }\n  }\n}\n'),
}


@pytest.mark.parametrize("language", sorted(PROGRAMS))
def test_other_languages_pass_and_fail(language):
    reason = available_languages()[language]
    if reason:
        pytest.skip(f"{language} toolchain unavailable: {reason}")
    good, bad = PROGRAMS[language]
    r = run_code(good, language, timeout_s=10)
    assert (r.status, r.stdout.split()) == ("passed", ["hi", "42"]), r
    r = run_code(bad, language, timeout_s=10)
    assert r.status in ("failed", "killed") and r.returncode != 0, r


def test_compile_error_is_a_failure():
    if available_languages()["cpp"]:
        pytest.skip("g++ unavailable")
    r = run_code("int main() { return undefined_name; }", "cpp")
    assert r.status == "failed" and "compilation failed" in r.stderr and "undefined_name" in r.stderr


def test_unavailable_languages_are_refused_with_a_reason():
    r = run_code("print(1)", "cobol")
    assert r.status == "refused" and "unknown language" in r.stderr
    langs = available_languages()
    assert langs["python"] is None
    if shutil.which("rustc", path="/usr/bin:/bin") is None:
        assert "rustc" in langs["rust"]
        r = run_code("fn main() {}", "rust")
        assert r.status == "refused" and "rustc" in r.stderr and r.returncode is None


def test_cli_prints_one_json_object(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text("print('from the cli')\n")
    proc = gapbench_cli("sandbox", str(script), "--json", "--timeout", "5", timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) == {"status", "returncode", "stdout", "stderr", "duration_s"}
    assert (out["status"], out["stdout"]) == ("passed", "from the cli\n")


def test_cli_missing_file_is_a_one_line_error(tmp_path):
    proc = gapbench_cli("sandbox", str(tmp_path / "missing.py"), timeout=60)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "missing.py" in lines[0] and "Traceback" not in proc.stderr


def test_sandbox_dies_with_a_killed_parent():
    """If gapbench itself is SIGKILLed mid-run, the sandboxed program must not outlive it."""
    import subprocess
    import sys

    from gapbench.sandbox.run import BASE_DIR

    before = set(BASE_DIR.iterdir())
    parent = subprocess.Popen([sys.executable, "-c", "from gapbench.sandbox import run_code\n"
                               "run_code('import time; time.sleep(120)', timeout_s=120)"], cwd=REPO)
    try:
        deadline = time.monotonic() + 10
        while not running_main_py() and time.monotonic() < deadline:  # not the probe's short-lived `sh`
            time.sleep(0.05)
        assert running_main_py(), "the sandboxed program never started"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 5
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandbox_processes() == []
    for workdir in set(BASE_DIR.iterdir()) - before:  # its parent could not clean up: that is the point
        shutil.rmtree(workdir)
