#!/usr/bin/env bash
# Refresh the Japanese catalogue from the code, keep every existing translation, fill new
# message ids from docs/_pending_translations/*.po (if any), then compile and show statistics.
#   bash scripts/update_translations.sh
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
$PY manage.py makemessages -l ja --ignore=.venv --ignore=interop --ignore=staticfiles --ignore=var \
  --ignore=test-artifacts --no-obsolete --no-wrap -v0
$PY scripts/fill_translations.py
$PY manage.py compilemessages --ignore=.venv --ignore=interop -v0
msgfmt --check --statistics -o /dev/null locale/ja/LC_MESSAGES/django.po
