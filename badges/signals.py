"""What the badges app tells other apps, without knowing them (courses depends on badges, not
the other way round).

``awards_changed`` is sent inside the transaction that changed awards' status (issued, revoked,
re-issued), with ``recipient_ids``: the people whose set of valid badges may have changed.
Receivers run in that transaction; what they write commits or rolls back with it.
"""

from __future__ import annotations

from django.dispatch import Signal

awards_changed = Signal()  # kwargs: recipient_ids (list[int])

#: Sent inside the transaction in which HR confirmed or rejected external badges, with
#: ``holder_ids``: the people whose confirmed external badges may have changed.
external_badges_changed = Signal()  # kwargs: holder_ids (list[int])
