"""Where fetched sources live: var/sources/<dataset>/<retrieved-at>/, with `current` (a
symbolic link, swapped atomically) naming the retrieval ingest reads. A retrieval is
written beside it as `<stamp>.part` and only becomes current once every file arrived whole
and parsed; a failed fetch leaves `current`, and so the serving version, as it was.
`.fetch.json` in each retrieval records URL, time, HTTP validators and checksum per file.

A retrieval starts as a copy of what serves now (the current retrieval, else the files
shipped beside the manifest): a connector replaces or extends the files it fetches, so a
fetch of this year's hours keeps the years fetched or shipped before — every retrieval is
the whole dataset, as every dataset version is."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from portal.settings import VAR_DIR

RECORD = ".fetch.json"
KEEP = 3


def sources_dir() -> Path:
    """OM_SOURCES_DIR, else var/sources (tests point it at a temporary folder)."""
    return Path(os.environ.get("OM_SOURCES_DIR") or VAR_DIR / "sources")


@dataclass
class FetchedFile:
    url: str
    sha256: str
    bytes: int
    etag: str | None = None
    last_modified: str | None = None


@dataclass
class FetchRecord:
    dataset: str
    retrieved_at: str
    connector: str
    files: dict[str, FetchedFile] = field(default_factory=dict)

    def provenance(self) -> dict:
        return asdict(self)


def current_dir(dataset: str) -> Path | None:
    link = sources_dir() / dataset / "current"
    return link.resolve() if link.exists() else None


def current_record(dataset: str) -> FetchRecord | None:
    folder = current_dir(dataset)
    if folder is None or not (folder / RECORD).is_file():
        return None
    raw = json.loads((folder / RECORD).read_text(encoding="utf-8"))
    files = {k: FetchedFile(**v) for k, v in raw.pop("files").items()}
    return FetchRecord(**raw, files=files)


def mark_checked(dataset: str) -> None:
    """The source was asked (and answered) now, changed or not."""
    root = sources_dir() / dataset
    root.mkdir(parents=True, exist_ok=True)
    (root / "checked").write_text(datetime.now(UTC).isoformat(timespec="seconds"))


def last_checked(dataset: str) -> datetime | None:
    path = sources_dir() / dataset / "checked"
    return datetime.fromisoformat(path.read_text().strip()) if path.is_file() else None


def new_retrieval(dataset: str) -> tuple[Path, str]:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    part = sources_dir() / dataset / f"{stamp}.part"
    part.mkdir(parents=True)
    return part, datetime.now(UTC).isoformat(timespec="seconds")


def publish(dataset: str, part: Path, record: FetchRecord) -> Path:
    """Make a complete retrieval current (rename, then swap the link: never half)."""
    (part / RECORD).write_text(json.dumps(record.provenance(), indent=1), encoding="utf-8")
    final = part.with_suffix("")
    part.rename(final)
    root = final.parent
    tmp_link = root / "current.new"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(final.name)
    os.replace(tmp_link, root / "current")
    _prune(root, final)
    return final


def seed(m, part: Path, previous: FetchRecord | None) -> dict[str, FetchedFile]:
    """Copy what serves now into the new retrieval `part` (copies, not links: a connector
    may rewrite a file in place); the record entries of the copied files."""
    folder = current_dir(m.id)
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != RECORD) \
        if folder is not None else sorted({side for p in m.shipped_files()  # with .prj …
                                           for side in p.parent.glob(f"{p.stem}.*")})
    entries = {}
    for path in files:
        shutil.copy2(path, part / path.name)
        before = previous.files.get(path.name) if previous else None
        entries[path.name] = before or FetchedFile(
            url=f"file:{path.relative_to(m.folder.parent).as_posix()}"
            if path.is_relative_to(m.folder.parent) else path.as_uri(),
            sha256=_sha256(path), bytes=path.stat().st_size)
    return entries


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def discard(part: Path) -> None:
    shutil.rmtree(part, ignore_errors=True)


def _prune(root: Path, keep: Path) -> None:
    done = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink()
                  and not p.name.endswith(".part") and p != keep)
    for old in done[:-(KEEP - 1)] if KEEP > 1 else done:
        shutil.rmtree(old, ignore_errors=True)
    for stale in root.glob("*.part"):
        shutil.rmtree(stale, ignore_errors=True)
