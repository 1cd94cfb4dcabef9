"""Authentication backends that load a signed-in person's roles with the person.

Every signed-in request loads the user from the session (one query) and, as soon as anything
asks for a role (the MFA middleware does, on every request), the person's group names (a second
query, ``staff.selectors.user_has_role``). These backends read both in one statement: the
user row with an ``ARRAY(SELECT name ...)`` of their groups, and leave the names where
``user_has_role`` looks for them (``_role_cache``). Nothing is kept between requests, so a
role taken away, a deactivated account or a sign-out takes effect on the very next request,
exactly as before (docs/benchmarks.md, "Load").

They are Django's ``ModelBackend`` and allauth's ``AuthenticationBackend`` otherwise unchanged:
sign-in, permissions and allauth's "prefer our own backend" (an ``isinstance`` check) behave
as before. Sessions written under the old backend paths are no longer accepted, so everyone
signs in again once after the deploy that switches ``AUTHENTICATION_BACKENDS``.
"""

from __future__ import annotations

from typing import Any

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends, get_user_model
from django.contrib.auth.models import Group
from django.contrib.postgres.expressions import ArraySubquery
from django.db import connections, router
from django.db.models import OuterRef


def _user_with_roles(backend: backends.ModelBackend, user_id: Any) -> Any:
    user_model = get_user_model()
    users = user_model._default_manager.all()
    # ARRAY(subquery) is PostgreSQL's; elsewhere (SQLite for `make run`) the user is read alone
    # and user_has_role reads the groups when first asked, as Django's own backend does.
    with_roles = connections[router.db_for_read(user_model)].vendor == "postgresql"
    if with_roles:
        names = Group.objects.filter(user=OuterRef("pk")).order_by().values("name")
        users = users.annotate(role_names=ArraySubquery(names))
    try:
        user = users.get(pk=user_id)
    except user_model.DoesNotExist:
        return None
    if with_roles:
        # Read by staff.selectors.user_has_role: the groups as of this very query.
        user._role_cache = set(user.role_names or ())  # type: ignore[attr-defined]
    return user if backend.user_can_authenticate(user) else None


class ModelBackend(backends.ModelBackend):
    """Django's model backend; the user's group names come in the same query as the user."""

    def get_user(self, user_id: Any) -> Any:
        return _user_with_roles(self, user_id)


class AuthenticationBackend(AllauthBackend):
    """allauth's backend (sign-in by email or username); the same one-query ``get_user``."""

    def get_user(self, user_id: Any) -> Any:
        return _user_with_roles(self, user_id)
