"""Request types for type checking.

Behind ``login_required`` (and in the admin, which lets in signed-in staff only) ``request.user``
is a :class:`~staff.models.StaffMember`, not "a StaffMember or an AnonymousUser": views and admin
actions that act as the signed-in person take an :class:`AuthenticatedHttpRequest`.
"""

from __future__ import annotations

from django.http import HttpRequest

from .models import StaffMember


class AuthenticatedHttpRequest(HttpRequest):
    user: StaffMember
