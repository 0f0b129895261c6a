#!/usr/bin/env bash
# System packages the test suite uses beyond Python: Debian's chromium (the browser test)
# and bubblewrap (the sandbox of `course grade`). Installs what is missing with apt when
# we may (root, or password-less sudo); otherwise says how, and those tests are skipped
# (CI sets COURSE_REQUIRE_BROWSER=1 and COURSE_REQUIRE_SANDBOX=1 to fail instead).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v bwrap >/dev/null || missing+=(bubblewrap)
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "note: no apt-get here; install ${missing[*]} to run the browser and sandbox tests" >&2
  exit 0
fi
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "note: the browser and sandbox tests need: sudo apt-get install ${missing[*]}" >&2
  exit 0
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
