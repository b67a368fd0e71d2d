"""PID 1 of one sandbox. Runs as root inside the fresh network, mount and PID namespaces that `unshare` made.

Usage: python -I -S init.py STATUS_FD WORKDIR PROGRAM ARGS...   (PROGRAM is the setpriv/prlimit chain)

It changes only this mount namespace's view: every mount read-only, empty read-only tmpfs over the world-writable
/tmp, /var/tmp, /dev/shm and /run, and WORKDIR bind-mounted writable. Then it runs PROGRAM as its child (so the
program is not PID 1 and gets normal signal semantics), reaps orphans, and writes the program's raw wait status to
STATUS_FD, because `unshare` cannot pass a death by SIGKILL on. When this process exits, the kernel kills
everything left in the namespace. Standard library only: it runs before and outside any gapbench import.
"""

import os
import re
import subprocess
import sys

HIDDEN = ("/tmp", "/var/tmp", "/dev/shm", "/run")


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, stdin=subprocess.DEVNULL)


def mount_points() -> list[str]:
    with open("/proc/self/mountinfo", encoding="utf-8") as f:
        points = {re.sub(r"\\([0-7]{3})", lambda m: chr(int(m[1], 8)), line.split()[4]) for line in f}
    return sorted(p for p in points if p != "/proc" and not p.startswith("/proc/"))


def isolate_filesystem(workdir: str) -> None:
    mount("--make-rprivate", "/")
    for point in mount_points():
        mount("-o", "remount,bind,ro", point)
    for path in HIDDEN:
        if os.path.isdir(path) and not os.path.islink(path):
            mount("-t", "tmpfs", "-o", "ro,nosuid,nodev,size=4k,mode=755", "sandbox", path)
    mount("--bind", workdir, workdir)
    mount("-o", "remount,bind,rw,nosuid,nodev", workdir)
    os.chdir(workdir)


def main() -> None:
    status_fd, workdir, argv = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    try:
        isolate_filesystem(workdir)
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"sandbox: setting up the mounts failed: {e}")
    pid = os.fork()
    if pid == 0:
        os.close(status_fd)
        try:
            os.execvp(argv[0], argv)
        except OSError as e:
            print(f"sandbox: cannot run {argv[0]}: {e}", file=sys.stderr)
        os._exit(127)
    while True:
        child, status = os.wait()
        if child == pid:
            os.write(status_fd, str(status).encode())
            return


if __name__ == "__main__":
    main()
