#!/usr/bin/env bash
# Install the Debian packages robofuel's tests need, when they are missing. Idempotent and quick when all is there.
#
#   postgresql  - PostgreSQL server binaries (initdb, pg_ctl, postgres); tests/conftest.py starts a throw-away
#                 server on 127.0.0.1 from them for the catalog suite. The client side (psycopg[binary]) is a wheel.
#   chromium    - the browser tests/server/test_console_browser.py drives headless through Playwright
#                 (/usr/bin/chromium; Playwright's own browser download is never used).
#   libegl1 libegl-mesa0 libgl1-mesa-dri
#               - EGL with Mesa's software rasteriser: MuJoCo's offscreen renderer on the CPU (robofuel.sim renders
#                 the cameras of its replays; MUJOCO_GL=egl). Without them the frames stay empty, nothing fails.
#                 (libosmesa6 works too, with MUJOCO_GL=osmesa.)
#
# Not needed: FFmpeg (the PyAV wheels bundle it), HDF5 (the h5py wheels bundle it), a compiler.
#
# Run as root (CI) or as a user with password-less sudo. Without either, it prints the command to run and exits 0
# (the PostgreSQL tests then skip), except under CI (CI set), where it fails.
set -euo pipefail

say() { echo "ensure-system-deps: $*"; }

have_postgres_server() {
  local dir
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    return 0
  fi
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      return 0
    fi
  done
  return 1
}

missing=()
if have_postgres_server; then
  say "postgresql server: present"
else
  say "postgresql server: missing"
  missing+=(postgresql)
fi

if [ -x /usr/bin/chromium ]; then
  say "chromium: present"
else
  say "chromium: missing"
  missing+=(chromium)
fi

have_package() {
  command -v dpkg-query >/dev/null 2>&1 \
    && [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

gl_packages=(libegl1 libegl-mesa0 libgl1-mesa-dri)
gl_missing=()
for pkg in "${gl_packages[@]}"; do
  have_package "$pkg" || gl_missing+=("$pkg")
done
if [ ${#gl_missing[@]} -eq 0 ]; then
  say "EGL (Mesa): present"
else
  say "EGL (Mesa): missing ${gl_missing[*]}"
  missing+=("${gl_missing[@]}")
fi

if [ ${#missing[@]} -eq 0 ]; then
  say "nothing to install"
  exit 0
fi

cannot() {
  say "cannot install ${missing[*]}: $1"
  say "run as root: apt-get update && apt-get install -y --no-install-recommends ${missing[*]}"
  if [ -n "${CI:-}" ]; then
    exit 1
  fi
  say "continuing; the tests that need them will skip"
  exit 0
}

if ! command -v apt-get >/dev/null 2>&1; then
  cannot "no apt-get (this script knows Debian and Ubuntu)"
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root=(sudo -n)
else
  cannot "not root and no password-less sudo"
fi

apt_opts=(-q -o DPkg::Lock::Timeout=300)
say "running: apt-get update"
"${as_root[@]}" apt-get "${apt_opts[@]}" update
say "running: apt-get install -y --no-install-recommends ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}"

if ! have_postgres_server; then
  say "installed ${missing[*]} but initdb/pg_ctl are still not found"
  exit 1
fi
if [ ! -x /usr/bin/chromium ]; then
  say "installed ${missing[*]} but /usr/bin/chromium is still not found"
  exit 1
fi
say "done"
