"""An approved course's dates as an iCalendar file (.ics) for the person's own calendar.

Written with the ``icalendar`` library (RFC 5545: escaping, line folding, date values), never
by hand. One all-day event from the first day to the last (DTEND is exclusive: the day after
the last day), with the course's title in the page's language, its provider and a link back to
the course page. The UID names the enrolment, so importing the file again updates the event
instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote, urlsplit

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from hachioji_portal.organisation import organisation

from .models import Enrolment, EnrolmentState

#: Enrolments whose dates belong in the person's calendar.
CALENDAR_STATES = (EnrolmentState.APPROVED, EnrolmentState.COMPLETED)


def has_calendar(enrolment: Enrolment) -> bool:
    return enrolment.state in CALENDAR_STATES and enrolment.course.starts_on is not None


def _uid(enrolment: Enrolment) -> str:
    host = urlsplit(settings.PORTAL_BASE_URL).hostname or "localhost"
    return f"enrolment-{enrolment.pk}@{host}"


def enrolment_ics(enrolment: Enrolment) -> bytes:
    """The .ics file of ``enrolment`` (which :func:`has_calendar`), in the active language."""
    course = enrolment.course
    if not has_calendar(enrolment):
        raise ValueError("only an approved or completed enrolment of a dated course has a calendar")
    first: dt.date = course.starts_on  # type: ignore[assignment]
    last = course.ends_on or first
    url = settings.PORTAL_BASE_URL + reverse("courses:detail", args=[course.code])
    provider = course.provider.display_name
    lines = [
        gettext("Provider: %(provider)s") % {"provider": provider},
        gettext("Course code: %(code)s") % {"code": course.code},
    ]
    if course.term:
        lines.append(gettext("Term: %(term)s") % {"term": course.display_term})
    lines.append(url)

    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{organisation().name_in('en')}//Staff learning portal//JA")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    event = icalendar.Event()
    event.add("uid", _uid(enrolment))
    # When this information last changed (RFC 5545 3.8.7.2, no METHOD): the enrolment's update.
    event.add("dtstamp", (enrolment.updated_at or timezone.now()).astimezone(dt.UTC))
    event.add("dtstart", first)
    event.add("dtend", last + dt.timedelta(days=1))
    event.add("summary", course.display_title)
    event.add("description", "\n".join(lines))
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # an all-day course does not block the working day
    calendar.add_component(event)
    return bytes(calendar.to_ical())


def content_disposition(enrolment: Enrolment) -> str:
    """``attachment`` with the course's title as the file name (RFC 6266 ``filename*``, UTF-8)
    and its code as the plain-ASCII fallback for old clients."""
    course = enrolment.course
    title = "".join(c for c in course.display_title if c not in '\\/:*?"<>|\r\n').strip() or course.code
    return f"attachment; filename=\"{course.code}.ics\"; filename*=UTF-8''{quote(title + '.ics', safe='')}"
