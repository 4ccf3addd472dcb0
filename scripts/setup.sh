#!/usr/bin/env bash
# Idempotent set-up for `make run` (argument: run) and `make test` (argument: test):
# OS packages through apt when missing, a Python >= 3.12 venv with the locked
# packages, and the self-hosted front-end assets from npm. Safe to run again:
# each step is skipped when its inputs have not changed.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-run}

die() { echo "error: $*" >&2; exit 1; }

apt_install() {
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "OS packages ${missing[*]} are missing and there is no apt-get: install them by hand, then re-run"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing OS packages: ${missing[*]}"
  $sudo apt-get update -qq >/dev/null || die "apt-get update failed: check your apt sources / network, or install ${missing[*]} by hand"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "could not install ${missing[*]} with apt-get: install them by hand, then re-run"
}

# 1. OS packages. PostgreSQL + PostGIS only when we run our own cluster.
pkgs=()
[ -z "${DATABASE_URL:-}" ] && pkgs+=(postgresql postgresql-postgis)  # the extension; "postgis" alone is only its tools
command -v npm >/dev/null || pkgs+=(nodejs npm)
pkgs+=(libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)  # WeasyPrint: the area PDF report
# the tests drive real clients: Chromium, GDAL's OAPIF driver and QGIS (headless)
[ "$mode" = test ] && pkgs+=(chromium gdal-bin python3-qgis qgis-providers)
[ ${#pkgs[@]} -gt 0 ] && apt_install "${pkgs[@]}"

# 2. Python >= 3.12 (pyenv picks it from .python-version; else any python3.12+ on PATH).
python=""
for cand in python3.12 python3.13 python3.14 python3; do
  if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
    python=$(command -v "$cand"); break
  fi
done
[ -n "$python" ] || die "Python >= 3.12 not found: install it (e.g. 'pyenv install 3.12'), then re-run"

# 3. The venv and the locked Python packages.
if [ -x .venv/bin/python ] && ! .venv/bin/python -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then
  rm -rf .venv
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv || die "could not create .venv with $python (Debian: apt-get install python3-venv)"
stamp=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ "$(cat .venv/.installed 2>/dev/null)" != "$stamp" ]; then
  echo "installing Python packages into .venv"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock \
    || die "pip could not install requirements.lock: check access to PyPI"
  .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e . || die "pip install -e . failed"
  echo "$stamp" > .venv/.installed
fi

# 4. Front-end assets the app serves itself (no CDN at run time); no install scripts run.
stamp=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.installed 2>/dev/null)" != "$stamp" ]; then
  echo "installing front-end assets into node_modules"
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null || die "npm ci failed: check access to the npm registry"
  echo "$stamp" > node_modules/.installed
fi

# 5. Tests only: a real OpenID Connect provider (tests/oidc, panva/oidc-provider) to sign in against.
if [ "$mode" = test ]; then
  stamp=$(sha256sum tests/oidc/package-lock.json | cut -c1-16)
  if [ "$(cat tests/oidc/node_modules/.installed 2>/dev/null)" != "$stamp" ]; then
    echo "installing the test OpenID provider into tests/oidc/node_modules"
    (cd tests/oidc && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null) \
      || die "npm ci in tests/oidc failed: check access to the npm registry"
    echo "$stamp" > tests/oidc/node_modules/.installed
  fi
fi
