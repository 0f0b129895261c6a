#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the browser test.
# Installs it with apt when we may (root, or password-less sudo); otherwise says how,
# and the browser test is skipped (CI sets COURSE_REQUIRE_BROWSER=1 to fail instead).
set -euo pipefail
[ -x /usr/bin/chromium ] && exit 0
command -v apt-get >/dev/null || {
  echo "note: no apt-get here; install Chromium at /usr/bin/chromium to run the browser test" >&2
  exit 0
}
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "note: the browser test needs Debian's chromium package: sudo apt-get install chromium" >&2
  exit 0
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq chromium
