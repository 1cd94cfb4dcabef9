#!/usr/bin/env bash
# Install the Debian packages the portal needs, if they are missing:
#   fonts-noto-cjk  the Japanese font badge images are drawn with (never assumed present)
#   gettext         compiles the translations (msgfmt)
#   chromium        the real browser the journey tests drive (WITH_TEST_TOOLS=1)
#   nodejs npm      run the independent badge verifier in interop/ (WITH_TEST_TOOLS=1)
#   poppler-utils   pdftotext reads the printed training record's PDF (WITH_TEST_TOOLS=1)
#   nginx           serves the published public tree in its test (WITH_TEST_TOOLS=1; run as a
#                   child process on a free port, never as the system service)
#   wrk             the HTTP load generator of scripts/bench_published.py (WITH_TEST_TOOLS=1)
set -euo pipefail
need=()
[ -f /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc ] || need+=(fonts-noto-cjk)
command -v msgfmt >/dev/null || need+=(gettext)
if [ "${WITH_TEST_TOOLS:-0}" = 1 ]; then
  command -v node >/dev/null || need+=(nodejs npm)
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v pdftotext >/dev/null || need+=(poppler-utils)
  [ -x /usr/sbin/nginx ] || need+=(nginx)
  command -v wrk >/dev/null || need+=(wrk)
fi
[ ${#need[@]} -eq 0 ] && exit 0
echo "Installing Debian packages: ${need[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if ! command -v apt-get >/dev/null; then
  echo "apt-get not found: please install ${need[*]} (or set BADGE_FONT_PATHS to a CJK font)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
