"""The badge admin. One module per part; importing this package registers every model admin, in
this order: ``issuers`` (issuer, badge classes), ``awards``, ``external`` (external badges),
``trusted`` (the register of trusted issuers), then the Open Badges 3.0 API's
(``badges.obapi.admin``). ``common`` holds what they share."""

from __future__ import annotations

# isort: off
# In the order of registration, as before the split.
from .common import PersonNameSearchMixin, json_document
from .issuers import BadgeClassAdmin, IssuerAdmin, SigningKeyInline
from .awards import AwardAdmin, RevokeForm, StatusFilter
from .external import ConfirmDespiteWarningsForm, ExternalBadgeAdmin, RejectForm
from .trusted import RegisterImportForm, TrustedIssuerAdmin, TrustedIssuerIdentifierInline

# The Open Badges 3.0 API's admin (HR's switch, registered applications): badges/obapi/admin.py.
from ..obapi import admin as _obapi_admin  # noqa: F401

# isort: on

__all__ = [
    "AwardAdmin",
    "BadgeClassAdmin",
    "ConfirmDespiteWarningsForm",
    "ExternalBadgeAdmin",
    "IssuerAdmin",
    "PersonNameSearchMixin",
    "RegisterImportForm",
    "RejectForm",
    "RevokeForm",
    "SigningKeyInline",
    "StatusFilter",
    "TrustedIssuerAdmin",
    "TrustedIssuerIdentifierInline",
    "json_document",
]
