"""A plain file over HTTP (the city's open-data portal, RIVM's GCN grids): `url` for one
file named by `source.path`, or `files: {name: url}` for several (a year each)."""

from __future__ import annotations

from pathlib import Path

from portal.fetch.check import check_file
from portal.fetch.connectors.base import Connector, FetchError, Outcome
from portal.fetch.store import FetchRecord


class HttpFiles(Connector):
    name = "http"

    def files(self) -> dict[str, str]:
        if self.spec.get("files"):
            return dict(self.spec["files"])
        if not self.spec.get("url"):
            raise FetchError(self.m, "-", "source.fetch needs `url` or `files`")
        return {Path(self.m.source["path"]).name: self.spec["url"]}

    def fetch(self, dest: Path, previous: FetchRecord | None, progress) -> Outcome:
        record = FetchRecord(self.m.id, "", self.name)
        changed = False
        for name, url in self.files().items():
            before = previous.files.get(name) if previous else None
            target = dest / name
            got = self.download(url, target, before, progress)
            if got is None:  # 304: the copy we have (seeded into dest) is current
                if before is None or not target.is_file():
                    raise FetchError(self.m, url, "304 Not Modified for a file we do not have")
                record.files[name] = before
                continue
            check_file(self.m, target, url)
            record.files[name] = got
            changed |= before is None or before.sha256 != got.sha256
        return Outcome(changed, record)

