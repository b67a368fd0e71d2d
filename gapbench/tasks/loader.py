"""Read a task's records from the data directory (or online) and map them to Samples."""

from __future__ import annotations

import csv
import glob
import json
import os
import re
from pathlib import Path
from typing import Any, Iterator

from gapbench.errors import GapbenchError
from gapbench.tasks.spec import DatasetSpec, TaskSpec
from gapbench.tasks.template import render
from gapbench.types import Sample

LETTERS = "ABCDEFGHIJ"


def resolve_data_dir(data_dir: str | os.PathLike | None) -> Path:
    """--data-dir, else $GAPBENCH_DATA, else ./data."""
    return Path(data_dir or os.environ.get("GAPBENCH_DATA") or "data")


PACKAGE_PREFIX = "@gapbench/"  # paths inside the installed package (the shipped demo set)


def dataset_files(spec: DatasetSpec, data_dir: Path, path: str | None = None) -> list[Path]:
    rel = path or spec.path
    if rel.startswith(PACKAGE_PREFIX):
        pattern = str(Path(__file__).resolve().parent.parent / rel.removeprefix(PACKAGE_PREFIX))
    else:
        pattern = str(data_dir / rel)
    files = sorted(Path(p) for p in glob.glob(pattern))
    if not files:
        if spec.url or spec.hf:
            return []
        raise GapbenchError(f"data file not found: {pattern} (set --data-dir or $GAPBENCH_DATA)")
    return files


def _format_of(spec: DatasetSpec, path: Path) -> str:
    if spec.format != "auto":
        return spec.format
    name = path.name.removesuffix(".gz")
    for ext, fmt in ((".jsonl", "jsonl"), (".json", "json"), (".csv", "csv"), (".tsv", "tsv")):
        if name.endswith(ext):
            return fmt
    return "lines"


def _open_text(path: Path):
    if path.suffix == ".gz":
        import gzip

        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8-sig", newline="")


def read_records(spec: DatasetSpec, path: Path) -> Iterator[dict[str, Any]]:
    """Yield raw records of one file; each carries `_file` and `_line` for error messages."""
    fmt = _format_of(spec, path)
    with _open_text(path) as fh:
        if fmt in ("csv", "tsv"):
            reader = csv.reader(fh, delimiter="," if fmt == "csv" else "\t", quoting=csv.QUOTE_MINIMAL if fmt == "csv" else csv.QUOTE_NONE)
            names = spec.columns
            for lineno, row in enumerate(reader, 1):
                if names is None and spec.header:
                    names = row
                    continue
                if names is None:
                    names = [str(i) for i in range(len(row))]
                if len(row) != len(names):
                    raise GapbenchError(f"{path}:{lineno}: expected {len(names)} columns, found {len(row)}")
                yield {**dict(zip(names, row)), "_line": lineno}
        elif fmt == "jsonl":
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError as e:
                    raise GapbenchError(f"{path}:{lineno}: malformed JSON line ({e.msg})") from None
                if not isinstance(rec, dict):
                    raise GapbenchError(f"{path}:{lineno}: expected a JSON object")
                yield {**rec, "_line": lineno}
        elif fmt == "json":
            try:
                data = json.load(fh)
            except json.JSONDecodeError as e:
                raise GapbenchError(f"{path}:{e.lineno}: malformed JSON ({e.msg})") from None
            if not isinstance(data, list):
                raise GapbenchError(f"{path}: expected a JSON list of objects")
            for i, rec in enumerate(data, 1):
                yield {**rec, "_line": i}
        else:  # lines
            for lineno, line in enumerate(fh, 1):
                line = line.rstrip("\n")
                if not line.strip():
                    continue
                if spec.separator:
                    parts = line.split(spec.separator)
                    names = spec.columns or [str(i) for i in range(len(parts))]
                    if len(parts) != len(names):
                        raise GapbenchError(f"{path}:{lineno}: expected {len(names)} parts split by '{spec.separator}'")
                    yield {**dict(zip(names, parts)), "_line": lineno}
                else:
                    yield {"text": line, "_line": lineno}


def _online_records(spec: DatasetSpec) -> Iterator[dict[str, Any]]:
    """Online users: the same data from Hugging Face (needs the `hf` extra) or a URL."""
    if spec.hf is not None:
        try:
            import datasets  # type: ignore
        except ImportError:
            raise GapbenchError(f"{spec.path}: not in the data directory; install gapbench[hf] to fetch {spec.hf.path}") from None
        ds = datasets.load_dataset(spec.hf.path, spec.hf.name, split=spec.hf.split)
        for i, rec in enumerate(ds, 1):
            yield {**rec, "_line": i}
        return
    import tempfile

    import httpx

    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / Path(spec.url or "data").name
        try:
            with httpx.stream("GET", spec.url, follow_redirects=True, timeout=60) as r:
                r.raise_for_status()
                with open(target, "wb") as out:
                    for chunk in r.iter_bytes():
                        out.write(chunk)
        except httpx.HTTPError as e:
            raise GapbenchError(f"{spec.path}: not in the data directory and download failed: {type(e).__name__}") from None
        yield from read_records(spec, target)


def _record_to_sample(spec: DatasetSpec, rec: dict[str, Any], index: int, origin: str) -> Sample:
    rec = {**rec, "_index": index}
    where = f"{origin}:{rec.get('_line', index)}"
    try:
        sid = render(spec.id, rec)
        question = render(spec.question, rec)
        if spec.choices is None:
            choices: tuple[str, ...] = ()
        elif isinstance(spec.choices, str):
            from gapbench.tasks.template import lookup

            raw = lookup(rec, spec.choices.strip("{}"))
            if not isinstance(raw, list):
                raise GapbenchError(f"{where}: field '{spec.choices}' is not a list")
            choices = tuple(str(c) for c in raw)
        else:
            choices = tuple(render(c, rec) for c in spec.choices)
        answer = render(spec.answer, rec).strip()
    except KeyError as e:
        raise GapbenchError(f"{where}: record has no field {e.args[0]!r}") from None
    if spec.answer_regex:
        m = re.search(spec.answer_regex, answer, re.S)
        if not m:
            raise GapbenchError(f"{where}: answer does not match answer_regex")
        answer = m.group(1).strip()
    if spec.answer_map is not None:
        if answer not in spec.answer_map:
            raise GapbenchError(f"{where}: answer {answer!r} not in answer_map")
        answer = spec.answer_map[answer]
    if spec.answer_index:
        answer = LETTERS[int(answer)]
    meta = {k: v for k, v in rec.items() if not k.startswith("_")}
    meta["_origin"] = where
    return Sample(id=sid, input=question, target=answer, choices=choices, metadata=meta)


def load_samples(task: TaskSpec, data_dir: Path, path: str | None = None) -> list[Sample]:
    """All samples of a task (or of its few-shot split when `path` is given), in a stable order."""
    spec = task.dataset
    files = dataset_files(spec, data_dir, path)
    samples: list[Sample] = []
    if not files:
        for rec in _online_records(spec):
            samples.append(_record_to_sample(spec, rec, len(samples), spec.url or spec.hf.path))
        return samples
    for f in files:
        subject = None
        if spec.subject_from_filename:
            m = re.search(spec.subject_from_filename, f.name)
            subject = m.group(1) if m else f.stem
        for i, rec in enumerate(read_records(spec, f)):
            if subject is not None:
                rec.setdefault("subject", subject)
                rec.setdefault("subject_name", subject.replace("_", " "))
            index = len(samples) if len(files) == 1 else f"{subject or f.stem}/{i}"
            samples.append(_record_to_sample(spec, rec, index, str(f)))
    ids = [s.id for s in samples]
    if len(set(ids)) != len(ids):
        raise GapbenchError(f"{task.name}: dataset.id gives duplicate ids; make it unique")
    return samples
