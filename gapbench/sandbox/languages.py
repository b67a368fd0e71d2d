"""What each language needs inside the sandbox: its file name, an optional compile step, a run step, and limits.

Toolchains are looked up only in /usr/bin:/bin and must be executable by "others", because the code runs as
uid 65534: a rustc under /root/.cargo or a Python under /root/.pyenv is not reachable from there.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

SANDBOX_PATH = "/usr/bin:/bin"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """Per-process resource limits (set with prlimit after the privilege drop). cpu_s=None: wall timeout + 2 s."""

    cpu_s: int | None = None
    address_space_mb: int = 1024
    file_size_mb: int = 16
    nproc: int = 64
    nofile: int = 256

    def prlimit_flags(self, timeout_s: float) -> list[str]:
        cpu = self.cpu_s if self.cpu_s is not None else int(timeout_s) + 2
        return [f"--cpu={cpu}:{cpu + 1}", f"--as={self.address_space_mb * MIB}", f"--fsize={self.file_size_mb * MIB}",
                f"--nproc={self.nproc}", f"--nofile={self.nofile}", "--core=0"]


@dataclass(frozen=True)
class Language:
    name: str
    tools: tuple[str, ...]  # programs that must exist in /usr/bin:/bin
    filename: str  # may use {cls} (Java: the public class)
    run: tuple[str, ...]  # argv; {file}, {cls} and {tool0}, {tool1}... are filled in
    run_limits: Limits = Limits()
    compile: tuple[str, ...] | None = None
    compile_limits: Limits = Limits(cpu_s=60, address_space_mb=2048, file_size_mb=64, nproc=64)
    compile_timeout_s: float = 60.0


_JVM = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-XX:ReservedCodeCacheSize=64m",
        "-XX:CompressedClassSpaceSize=64m", "-XX:MaxMetaspaceSize=256m")

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in (
    Language("python", ("python3",), "main.py", ("{tool0}", "-I", "-B", "-u", "{file}")),
    Language("cpp", ("g++",), "main.cpp", ("./main",),
             compile=("{tool0}", "-std=c++17", "-O2", "-pipe", "-o", "main", "{file}")),
    Language("js", ("node",), "main.js", ("{tool0}", "--max-old-space-size=512", "{file}"),
             run_limits=Limits(address_space_mb=2048)),
    Language("java", ("javac", "java"), "{cls}.java", ("{tool1}", "-Xmx512m", "-Xss16m", *_JVM, "-cp", ".", "{cls}"),
             run_limits=Limits(address_space_mb=2048, nproc=128),
             compile=("{tool0}", "-J-Xmx512m", *(f"-J{o}" for o in _JVM), "-encoding", "UTF-8", "-d", ".", "{file}"),
             compile_limits=Limits(cpu_s=60, address_space_mb=2048, file_size_mb=64, nproc=128)),
    Language("rust", ("rustc",), "main.rs", ("./main",), compile=("{tool0}", "-O", "-o", "main", "{file}")),
    Language("go", ("go",), "main.go", ("./main",), compile=("{tool0}", "build", "-o", "main", "{file}"),
             run_limits=Limits(address_space_mb=4096), compile_limits=Limits(cpu_s=60, address_space_mb=4096,
                                                                            file_size_mb=128, nproc=128)),
)}

EXTENSIONS = {".py": "python", ".cpp": "cpp", ".cc": "cpp", ".cxx": "cpp", ".js": "js", ".mjs": "js",
              ".java": "java", ".rs": "rust", ".go": "go"}


def reachable_by_others(path: str) -> bool:
    """True when a user with no groups in common with the owner can execute `path` (every parent traversable)."""
    real = Path(os.path.realpath(path))
    try:
        if not real.stat().st_mode & stat.S_IXOTH:
            return False
        return all(parent.stat().st_mode & stat.S_IXOTH for parent in real.parents)
    except OSError:
        return False


def find_tool(name: str) -> str | None:
    found = shutil.which(name, path=SANDBOX_PATH)
    return found if found and reachable_by_others(found) else None


def unavailable_reason(language: str) -> str | None:
    """None when `language` can run here, else one line saying why not."""
    lang = LANGUAGES.get(language)
    if lang is None:
        return f"unknown language {language!r} (known: {', '.join(LANGUAGES)})"
    for tool in lang.tools:
        if find_tool(tool) is None:
            elsewhere = shutil.which(tool)
            hint = f"; {elsewhere} is not reachable by the sandbox user" if elsewhere else ""
            return f"{tool} not found in {SANDBOX_PATH}{hint}"
    return None


def available_languages() -> dict[str, str | None]:
    """Language -> None when it can run in the sandbox here, else the reason it cannot."""
    return {name: unavailable_reason(name) for name in LANGUAGES}


def java_class(source: str) -> str:
    match = re.search(r"\bpublic\s+(?:final\s+|abstract\s+)*class\s+([A-Za-z_$][\w$]*)", source)
    return match.group(1) if match else "Main"


def fill(lang: Language, argv: tuple[str, ...], source: str) -> tuple[str, list[str]]:
    """(file name, argv) with placeholders filled in for this source."""
    cls = java_class(source) if lang.name == "java" else ""
    tools = {f"tool{i}": find_tool(t) or t for i, t in enumerate(lang.tools)}
    filename = lang.filename.format(cls=cls)
    return filename, [a.format(file=filename, cls=cls, **tools) for a in argv]
