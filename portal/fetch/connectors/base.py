"""What every connector shares: HTTP with timeouts, retries with back-off and conditional
requests (ETag / If-Modified-Since), a whole-file check, and one error type that names the
dataset and the URL."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from portal.errors import UserError
from portal.fetch.store import FetchedFile, FetchRecord
from portal.ingest.manifest import Manifest

RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}
USER_AGENT = "Omgevingsmonitor (portal fetch; +https://omgevingsmonitor.denhaag.nl)"


class FetchError(UserError):
    """One line: dataset, URL, what went wrong. The previous version keeps serving."""

    def __init__(self, m: Manifest, url: str, what: str):
        super().__init__(f"{m.id}: {url}: {what}; the previous version keeps serving")


@dataclass
class Outcome:
    changed: bool
    record: FetchRecord


class Connector:
    """Base: `fetch(dest, previous, progress)` writes the files into `dest` and says whether
    anything changed upstream."""

    name = "base"

    def __init__(self, m: Manifest):
        self.m = m
        spec = m.source["fetch"]
        self.spec = spec
        self.timeout = float(spec.get("timeout_s", 30))
        self.retries = int(spec.get("retries", 3))
        self.client = httpx.Client(timeout=self.timeout, follow_redirects=True,
                                   headers={"User-Agent": USER_AGENT})

    def close(self) -> None:
        self.client.close()

    def fetch(self, dest: Path, previous: FetchRecord | None,
              progress: Callable[[int], None]) -> Outcome:
        raise NotImplementedError

    # --- HTTP -------------------------------------------------------------------------
    def download(self, url: str, target: Path, previous: FetchedFile | None,
                 progress: Callable[[int], None], params: dict | None = None
                 ) -> FetchedFile | None:
        """The file at `url` into `target`; None when the server says 304 Not Modified."""
        headers = {}
        if previous is not None and previous.url == url:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        for attempt in range(self.retries + 1):
            try:
                return self._once(url, target, headers, progress, params)
            except _Retry as exc:
                if attempt == self.retries:
                    raise FetchError(self.m, url, f"{exc} (after {attempt + 1} tries)") from None
                time.sleep(min(0.25 * 2 ** attempt, 8))
        raise AssertionError("unreachable")

    def _once(self, url, target: Path, headers, progress, params) -> FetchedFile | None:
        part = target.with_name(target.name + ".part")
        try:
            with self.client.stream("GET", url, headers=headers, params=params) as r:
                if r.status_code == 304:
                    return None
                if r.status_code in RETRY_STATUS:
                    raise _Retry(f"HTTP {r.status_code}")
                if r.status_code != 200:
                    raise FetchError(self.m, url, f"HTTP {r.status_code} {r.reason_phrase}")
                digest, size = hashlib.sha256(), 0
                with part.open("wb") as out:
                    for chunk in r.iter_bytes(256 * 1024):
                        out.write(chunk)
                        digest.update(chunk)
                        size += len(chunk)
                        progress(len(chunk))
                expected = r.headers.get("content-length")
                if expected is not None and "content-encoding" not in r.headers \
                        and int(expected) != size:
                    raise _Retry(f"truncated: {size} of {expected} bytes")
                part.replace(target)
                return FetchedFile(url=url, sha256=digest.hexdigest(), bytes=size,
                                   etag=r.headers.get("etag"),
                                   last_modified=r.headers.get("last-modified"))
        except httpx.TimeoutException:
            raise _Retry(f"no answer within {self.timeout:g} s") from None
        except httpx.RemoteProtocolError as exc:
            raise _Retry(f"truncated or broken answer ({exc})") from None
        except httpx.TransportError as exc:
            raise _Retry(f"cannot connect ({exc.__class__.__name__}: {exc})") from None
        finally:
            part.unlink(missing_ok=True)

    def get_json(self, url: str, params: dict | None = None):
        """A JSON answer (API pages): retried like files, malformed JSON is an error."""
        for attempt in range(self.retries + 1):
            try:
                r = self.client.get(url, params=params)
                if r.status_code in RETRY_STATUS:
                    raise _Retry(f"HTTP {r.status_code}")
                if r.status_code != 200:
                    raise FetchError(self.m, str(r.url), f"HTTP {r.status_code} {r.reason_phrase}")
                try:
                    return r.json()
                except ValueError:
                    raise FetchError(self.m, str(r.url), "the answer is not valid JSON "
                                     "(malformed or truncated)") from None
            except httpx.TimeoutException:
                err = f"no answer within {self.timeout:g} s"
            except httpx.TransportError as exc:
                err = f"cannot connect or broken answer ({exc.__class__.__name__})"
            except _Retry as exc:
                err = str(exc)
            if attempt == self.retries:
                raise FetchError(self.m, url, f"{err} (after {attempt + 1} tries)")
            time.sleep(min(0.25 * 2 ** attempt, 8))
        raise AssertionError("unreachable")


class _Retry(Exception):
    """A failure that may pass on a second try."""
