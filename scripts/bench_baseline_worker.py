"""Bench-only: make a Celery worker issue badges with the baseline pipeline.

Started by ``scripts/bench_issuance.py worker --baseline`` as
``celery -A hachioji_portal worker -I scripts.bench_baseline_worker``. On import (in the
worker process, before any task runs) it replaces the three pipeline functions that
``badges.issuing`` calls through its module references -- ``rendering.render_badge``,
``credentials.sign_credential`` and ``baking.bake`` -- with the ones in
``scripts/bench_baseline.py``. Everything else (the task, the row lock, the ORM writes,
storage, the email queueing) is the application's own code. Never imported by the app.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from badges.core import baking, credentials, rendering  # noqa: E402
from scripts import bench_baseline  # noqa: E402

rendering.render_badge = bench_baseline.render_badge  # type: ignore[assignment]
credentials.sign_credential = bench_baseline.sign_credential  # type: ignore[assignment]
baking.bake = bench_baseline.bake  # type: ignore[assignment]

logging.getLogger(__name__).warning("bench: baseline issuing pipeline installed in pid %s", os.getpid())
