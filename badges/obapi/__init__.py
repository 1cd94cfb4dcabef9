"""The Open Badges 3.0 API (1EdTech OB 3.0, section 6): this portal as a resource server.

Read-only: a learner's other platforms (a university backpack, a career service) read, with the
holder's consent, the holder's issued badges (``getCredentials``) and profile (``getProfile``).
OAuth 2.0 is django-oauth-toolkit's; this package adds the OB 3.0 parts around it. See
docs/ob-api.md.

* ``protocol``: pure helpers (paging, ``Link`` header, ``Imsx_StatusInfo``, the discovery document);
* ``models``: HR's switch, registered clients' metadata, each holder's connections;
* ``services``: writes (register a client, record a consent, disconnect, switch);
* ``selectors``: reads (the holder's credentials and profile, connections);
* ``oauth``: the OAuth 2.0 validator and the consent page;
* ``registration``: dynamic client registration (RFC 7591);
* ``views``: the API endpoints and the staff page 「連携中のアプリ」.
"""
