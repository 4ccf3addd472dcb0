"""Front-end assets the app serves itself: the npm packages of package.json.

package.json is the one list of vendored packages: the app mounts each under
/static/vendor/<package>, and CDN references in third-party templates (pygeoapi's)
are pointed at those mounts by package name, whatever version the template pinned.
"""

from __future__ import annotations

import json
import re
from functools import cache

from portal.settings import REPO

VENDOR_DIR = REPO / "node_modules"
# An npm CDN URL: host / package[@version] / path (unpkg and jsdelivr's /npm/ alike).
_NPM_CDN = re.compile(
    r"https://(?:unpkg\.com|cdn\.jsdelivr\.net/npm)/(?P<pkg>(?:@[\w.-]+/)?[\w.-]+?)"
    r"(?:@[\w.-]+)?/")


@cache
def vendored_packages() -> tuple[str, ...]:
    deps = json.loads((REPO / "package.json").read_text(encoding="utf-8"))["dependencies"]
    return tuple(sorted(deps))


def self_host(html: str, static_url: str) -> str:
    """Point npm-CDN references at our own copy of the same package."""
    packages = set(vendored_packages())

    def local(m: re.Match) -> str:
        pkg = m.group("pkg")
        return f"{static_url}/vendor/{pkg}/" if pkg in packages else m.group(0)

    return _NPM_CDN.sub(local, html)
