"""Read a task's records from the data directory (or online) and map them to Samples."""

from __future__ import annotations

import csv
import glob
import json
import re
from pathlib import Path
from typing import Any, Iterator

from gapbench.errors import GapbenchError
from gapbench.tasks.spec import DatasetSpec, TaskSpec
from gapbench.tasks.template import render
from gapbench.types import LETTERS, Sample



PACKAGE_PREFIX = "@gapbench/"  # paths inside the installed package (the shipped demo set)


def dataset_files(spec: DatasetSpec, data_dir: Path, path: str | None = None) -> list[Path]:
    rel = path or spec.path
    if not rel:  # a registered source makes its own records
        return []
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
        elif fmt == "pylines":  # one Python literal per line (read safely, never executed)
            import ast

            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    rec = ast.literal_eval(line.strip())
                except (ValueError, SyntaxError) as e:
                    raise GapbenchError(f"{path}:{lineno}: not a Python literal ({type(e).__name__})") from None
                if not isinstance(rec, dict):
                    raise GapbenchError(f"{path}:{lineno}: expected a dict literal")
                yield {**rec, "_line": lineno}
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


def _choices_from_field(template: str, rec: dict[str, Any], where: str) -> tuple[str, ...]:
    """`{field}` holding a list (or a dict: its keys), or `{prefix*}`: every field named prefix1, prefix2…"""
    from gapbench.tasks.template import lookup

    name = template.strip("{}")
    if name.endswith("*"):
        prefix = name[:-1]
        keys = [k for k in rec if k.startswith(prefix) and k[len(prefix):].isdigit()]
        if not keys:
            raise GapbenchError(f"{where}: no fields named {prefix}1, {prefix}2…")
        return tuple(str(rec[k]) for k in sorted(keys, key=lambda k: int(k[len(prefix):])))
    raw = lookup(rec, name)
    if isinstance(raw, dict):
        raw = list(raw)
    if not isinstance(raw, list):
        raise GapbenchError(f"{where}: field '{template}' is not a list")
    return tuple(str(c) for c in raw)


def _shuffle(sid: str, choices: tuple[str, ...], answer: str) -> tuple[tuple[str, ...], str]:
    """A fixed per-item permutation (seeded by the id), so every model sees the same order."""
    import hashlib
    import random

    rng = random.Random(int(hashlib.sha256(sid.encode()).hexdigest()[:16], 16))
    order = list(range(len(choices)))
    rng.shuffle(order)
    gold = LETTERS.index(answer) if answer in LETTERS[: len(choices)] else None
    new_answer = LETTERS[order.index(gold)] if gold is not None else answer
    return tuple(choices[i] for i in order), new_answer


def _record_to_sample(spec: DatasetSpec, rec: dict[str, Any], index: int, origin: str) -> Sample:
    rec = {**rec, "_index": index}
    where = f"{origin}:{rec.get('_line', index)}"
    try:
        sid = render(spec.id, rec)
        question = render(spec.question, rec)
        if spec.choices is None:
            choices: tuple[str, ...] = ()
        elif isinstance(spec.choices, str):
            choices = _choices_from_field(spec.choices, rec, where)
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
        try:
            answer = LETTERS[int(answer)]
        except (ValueError, IndexError):
            raise GapbenchError(f"{where}: answer {answer!r} is not a choice index") from None
    if spec.shuffle_choices and choices:
        choices, answer = _shuffle(sid, choices, answer)
    meta = {k: v for k, v in rec.items() if not k.startswith("_")}
    meta["_origin"] = where
    if spec.turns:
        from gapbench.tasks.template import lookup

        try:
            turns = lookup(rec, spec.turns.strip("{}"))
        except KeyError:
            raise GapbenchError(f"{where}: record has no field {spec.turns!r}") from None
        if not isinstance(turns, list) or not turns:
            raise GapbenchError(f"{where}: field {spec.turns!r} is not a list of turns")
        meta["_turns"] = [str(t) for t in turns]
    return Sample(id=sid, input=question, target=answer, choices=choices, metadata=meta)


def _keep(spec: DatasetSpec, rec: dict[str, Any], origin: str) -> bool:
    for field, pattern in spec.include.items():
        if not re.search(pattern, str(rec.get(field, ""))):
            return False
    for field, pattern in spec.exclude.items():
        if re.search(pattern, str(rec.get(field, ""))):
            return False
    return True


def _joined(spec: DatasetSpec, data_dir: Path) -> dict[str, dict[str, Any]] | None:
    if spec.join is None:
        return None
    table: dict[str, dict[str, Any]] = {}
    for f in dataset_files(spec, data_dir, spec.join.path):
        for rec in read_records(spec.model_copy(update={"format": spec.join.format}), f):
            if spec.join.key not in rec:
                raise GapbenchError(f"{f}:{rec['_line']}: join key '{spec.join.key}' missing")
            table[str(rec[spec.join.key])] = rec
    return table


def _all_lines(path: Path) -> list[str]:
    """Every line of a text file, blank ones included (line-aligned files keep their alignment)."""
    with _open_text(path) as fh:
        lines = fh.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def _parallel_lines(spec: DatasetSpec, data_dir: Path, n: int) -> dict[str, list[str]]:
    """Line-aligned files (a translation's references): line i belongs to record i."""
    out = {}
    for field, rel in spec.parallel.items():
        files = dataset_files(spec, data_dir, rel)
        lines = _all_lines(files[0])
        if len(lines) != n:
            raise GapbenchError(f"{files[0]}: {len(lines)} lines, but the source has {n}; dataset.parallel needs aligned files")
        out[field] = lines
    return out


def _exploded(spec: DatasetSpec, records: Iterator[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """Records as read; with dataset.explode, one record per element of those parallel list fields
    (`_part` numbers them within their record)."""
    if not spec.explode:
        return list(records)
    out = []
    for rec in records:
        lists = [rec.get(name) for name in spec.explode]
        if not all(isinstance(v, list) for v in lists) or len({len(v) for v in lists}) != 1:
            raise GapbenchError(f"{path}:{rec['_line']}: dataset.explode fields {', '.join(spec.explode)} "
                                "must be lists of one length")
        out += [{**rec, **dict(zip(spec.explode, values)), "_part": i} for i, values in enumerate(zip(*lists))]
    return out


def _file_records(task: TaskSpec, data_dir: Path, path: str | None) -> Iterator[tuple[dict[str, Any], Any, str]]:
    """(record, index, origin) for every record of the task's files (or a registered source)."""
    spec = task.dataset
    if spec.source and path is None:
        from gapbench.tasks.sources import get_source

        for i, rec in enumerate(get_source(spec.source)(data_dir, task, spec.options)):
            yield {**rec, "_line": i + 1}, i, f"source:{spec.source}"
        return
    files = dataset_files(spec, data_dir, path)
    if not files:
        for i, rec in enumerate(_online_records(spec)):
            yield rec, i, spec.url or spec.hf.path
        return
    for f in files:
        subject = None
        if spec.subject_from_filename:
            m = re.search(spec.subject_from_filename, f.name)
            subject = m.group(1) if m else f.stem
        if not (spec.parallel and path is None):
            records = _exploded(spec, read_records(spec, f), f)
        else:  # line i of the source and of every parallel file is one item (blank lines included)
            if spec.format != "lines" and _format_of(spec, f) != "lines":
                raise GapbenchError(f"task {task.name}: dataset.parallel needs a line-per-item source file")
            records = [{"text": line, "_line": i + 1} for i, line in enumerate(_all_lines(f))]
            extra = _parallel_lines(spec, data_dir, len(records))
            for i, rec in enumerate(records):
                rec.update({field: lines[i] for field, lines in extra.items()})
        for i, rec in enumerate(records):
            if subject is not None:
                rec.setdefault("subject", subject)
                rec.setdefault("subject_name", subject.replace("_", " "))
            index = i if len(files) == 1 else f"{subject or f.stem}/{i}"
            yield rec, index, str(f)


def load_samples(task: TaskSpec, data_dir: Path, path: str | None = None) -> list[Sample]:
    """All samples of a task (or of its few-shot split when `path` is given), in a stable order."""
    spec = task.dataset
    joined = _joined(spec, data_dir) if path is None else None
    samples: list[Sample] = []
    for rec, index, origin in _file_records(task, data_dir, path):
        if not _keep(spec, rec, origin):
            continue
        if joined is not None:
            key = str(rec.get(spec.join.key, ""))
            if key not in joined:
                raise GapbenchError(f"{origin}:{rec.get('_line')}: no record with {spec.join.key}={key!r} in {spec.join.path}")
            rec = {**rec, "join": {k: v for k, v in joined[key].items() if not k.startswith("_")}}
        samples.append(_record_to_sample(spec, rec, index, origin))
    ids = [s.id for s in samples]
    if len(set(ids)) != len(ids):
        raise GapbenchError(f"{task.name}: dataset.id gives duplicate ids; make it unique")
    return samples
