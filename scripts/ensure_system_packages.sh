#!/usr/bin/env bash
# System packages the test suite uses beyond Python: Debian's chromium (the browser test) and
# bubblewrap (the sandbox of `course grade`).
#
#   scripts/ensure_system_packages.sh --install   install what is missing with apt (`make system-deps`,
#                                                  .ci/run); needs root or password-less sudo
#   scripts/ensure_system_packages.sh --check     install nothing (`make test`): say what is missing;
#                                                  fail if COURSE_REQUIRE_BROWSER=1 or COURSE_REQUIRE_SANDBOX=1
#                                                  (CI) asks for it, else its tests are skipped
set -euo pipefail
mode=${1:---check}
case "$mode" in --check|--install) ;; *) echo "usage: $0 [--check|--install]" >&2; exit 2 ;; esac

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v bwrap >/dev/null || missing+=(bubblewrap)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$mode" = --check ]; then
  required=()
  for package in "${missing[@]}"; do
    case "$package" in
      chromium) [ "${COURSE_REQUIRE_BROWSER:-}" = 1 ] && required+=("chromium (COURSE_REQUIRE_BROWSER=1)") ;;
      bubblewrap) [ "${COURSE_REQUIRE_SANDBOX:-}" = 1 ] && required+=("bubblewrap (COURSE_REQUIRE_SANDBOX=1)") ;;
    esac
  done
  if [ ${#required[@]} -gt 0 ]; then
    echo "error: the tests require system packages that are not installed: ${required[*]}." >&2
    echo "       Install them with \`make system-deps\` (apt, as root or with sudo)." >&2
    exit 1
  fi
  echo "note: ${missing[*]} not installed: the browser and sandbox tests that need them are skipped" \
       "(\`make system-deps\` installs them)." >&2
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "error: no apt-get here; install ${missing[*]} with your system's package manager" >&2
  exit 1
fi
if [ "$(id -u)" = 0 ]; then
  sudo=()
elif sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "error: installing ${missing[*]} needs root: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
