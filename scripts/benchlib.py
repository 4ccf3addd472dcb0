"""What the benchmark scripts share: the app on a free loopback port, and wrk runs.

wrk is a C load generator (apt-get install wrk), so the client does not take the
server's CPU the way a Python client would.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]

WRK_REPORT = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d %d\\n",
           summary.requests / (summary.duration / 1e6),
           latency:percentile(50) / 1000, latency:percentile(95) / 1000,
           summary.errors.connect + summary.errors.read + summary.errors.write
             + summary.errors.timeout, summary.errors.status, summary.requests))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db: str, *serve_args: str, **env_extra: str) -> tuple[subprocess.Popen, str]:
    """`portal serve [serve_args]` on a free port; (process, base URL) once /health answers."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db, "OM_PORT": str(port), "OM_HOST": "127.0.0.1",
           **env_extra}
    env.pop("OM_BASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "portal.cli", "serve", *serve_args],
                            cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            pass
        if proc.poll() is not None:
            break
        time.sleep(0.3)
    proc.kill()
    raise SystemExit("the app did not start (run `portal up` once to load the data)")


def wrk(base: str, path: str | None = None, *, connections: int = 8, seconds: int = 10,
        lua: str = "", warm_seconds: int = 2, threads: int = 2) -> dict:
    """requests/s, p50/p95 (ms), socket errors, non-2xx/3xx answers, requests; `lua` may
    define `request` (a mix of paths). Like a browser, wrk asks for gzip."""
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    script = Path(os.environ.get("TMPDIR", "/tmp")) / f"om-bench-{os.getpid()}.lua"
    script.write_text(lua + WRK_REPORT)
    url = base + (path or "/")
    out = ""
    for secs in ([warm_seconds] if warm_seconds else []) + [seconds]:
        out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{secs}s",
                              "--timeout", "10s", "-H", "Accept-Encoding: gzip",
                              "-s", str(script), url],
                             capture_output=True, text=True, check=True).stdout
    rps, p50, p95, errors, status, n = re.search(
        r"RESULT ([\d.]+) ([\d.]+) ([\d.]+) (\d+) (\d+) (\d+)", out).groups()
    return {"rps": float(rps), "p50_ms": float(p50), "p95_ms": float(p95),
            "errors": int(errors), "bad_status": int(status), "requests": int(n)}


def mix_lua(paths: list[str]) -> str:
    """A wrk `request` function cycling over `paths` (one path per request)."""
    quoted = ", ".join('"' + p.replace('"', '\\"') + '"' for p in paths)
    return f"""
local paths = {{{quoted}}}
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
"""
