"""Every URL of the portal × every role → the expected status; nothing leaks another
person's data; ids that matter are not guessable.

New URLs must be added to MATRIX (a test fails for any page of ours that is missing), so a
page cannot ship without someone deciding who may see it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from badges import issuing, services
from badges.models import Award
from tests.badges.conftest import bake_ob3, external_credential
from tests.factories import make_course, make_enrolment, make_skill, make_staff

pytestmark = pytest.mark.django_db

PERSONAS = ("anonymous", "alice", "dave", "bob", "other_head", "carol", "superuser")
A, AN, D, B, OH, C, SU = PERSONAS  # short names for the table


def ok_for(*who: str, otherwise: int, anonymous: int = 302) -> dict[str, int]:
    statuses = dict.fromkeys(PERSONAS, otherwise)
    statuses["anonymous"] = anonymous
    statuses.update(dict.fromkeys(who, 200))
    return statuses


SIGNED_IN = ok_for(AN, D, B, OH, C, SU, otherwise=200)
EVERYONE = dict.fromkeys(PERSONAS, 200)
OWNER_ONLY = ok_for(AN, otherwise=404)
HR_AND_HEADS = ok_for(B, OH, C, SU, otherwise=403)
HR_ONLY = ok_for(C, SU, otherwise=403)
ADMIN = {**ok_for(C, SU, otherwise=302)}

# name → (url template, statuses). {award}, {token}, {external}, {course}, {enrolment},
# {approved}, {alice_no}, {alice_pk}, {issuer}, {badge_class}, {skill}, {job}, {connection} are filled
# from the scene below.
MATRIX: dict[str, tuple[str, dict[str, int]]] = {
    "home": ("/", SIGNED_IN),
    "staff:profile": ("/me/profile/", SIGNED_IN),
    "courses:catalogue": ("/courses/", SIGNED_IN),
    "courses:detail": ("/courses/{course}/", SIGNED_IN),
    # alice has asked for this course already: she is sent to her request in "my learning".
    "courses:request": ("/courses/{course}/request/", {**SIGNED_IN, "alice": 302}),
    "courses:my_learning": ("/courses/my-learning/", SIGNED_IN),
    # The question before withdrawing (the POST that withdraws is tested below).
    "courses:withdraw": ("/courses/my-learning/{enrolment}/withdraw/", OWNER_ONLY),
    # The .ics file of alice's approved course: hers alone (courses/calendar.py).
    "courses:calendar": ("/courses/my-learning/{approved}/calendar.ics", OWNER_ONLY),
    "courses:approvals": ("/courses/approvals/", ok_for(B, OH, otherwise=403)),
    "hr:dashboard": ("/hr/", HR_AND_HEADS),
    "hr:people": ("/hr/people/", HR_AND_HEADS),
    "hr:people_export_csv": ("/hr/people/export.csv?q=山田", HR_AND_HEADS),
    "hr:people_export_xlsx": ("/hr/people/export.xlsx?q=山田", HR_AND_HEADS),
    "hr:profile": ("/hr/people/{alice_no}/", ok_for(B, C, SU, otherwise=403)),
    "hr:matrix": ("/hr/skills/", HR_AND_HEADS),
    # Career paths (courses/careers.py): every staff member's own page; coverage in counts only.
    "careers:index": ("/careers/", SIGNED_IN),
    "hr:careers": ("/hr/careers/", HR_AND_HEADS),
    # Cross-department teams (courses/teams.py): HR and every head, city-wide among the opted-in.
    "hr:teams": ("/hr/teams/?skill_1={skill}&level_1=1&size=2", HR_AND_HEADS),
    "hr:teams_export_csv": ("/hr/teams/export.csv?skill_1={skill}&level_1=1&size=2", HR_AND_HEADS),
    "hr:teams_export_xlsx": ("/hr/teams/export.xlsx?skill_1={skill}&level_1=1&size=2", HR_AND_HEADS),
    "admin:courses_roleprofile_changelist": ("/admin/courses/roleprofile/", ADMIN),
    "admin:courses_roleprofile_add": ("/admin/courses/roleprofile/add/", ADMIN),
    # 昇任選考 points and the human-capital report (courses/promotion/, hcreport.py): HR only,
    # a head of section included (a selection is the city's, not a section's: docs/roles.md).
    "hr:promotion": ("/hr/promotion/", HR_ONLY),
    "hr:promotion_candidates": ("/hr/promotion/{promotion}/", HR_ONLY),
    "hr:promotion_export_csv": ("/hr/promotion/{promotion}/export.csv", HR_ONLY),
    "hr:promotion_export_xlsx": ("/hr/promotion/{promotion}/export.xlsx", HR_ONLY),
    "hr:promotion_snapshot_csv": ("/hr/promotion/frozen/{snapshot}/export.csv", HR_ONLY),
    "hr:promotion_snapshot_xlsx": ("/hr/promotion/frozen/{snapshot}/export.xlsx", HR_ONLY),
    # Heads see their departments' figures next to the city's, counts only (tests/courses/test_hcreport.py).
    "hr:report": ("/hr/report/", HR_AND_HEADS),
    "hr:report_export_csv": ("/hr/report/export.csv", HR_ONLY),
    "hr:report_export_xlsx": ("/hr/report/export.xlsx", HR_ONLY),
    # Each staff member's own points (nobody else's: tests/courses/test_promotion.py).
    "courses:my_promotion": ("/courses/my-promotion/", SIGNED_IN),
    "admin:courses_promotionruleset_changelist": ("/admin/courses/promotionruleset/", ADMIN),
    "admin:courses_promotionruleset_add": ("/admin/courses/promotionruleset/add/", ADMIN),
    "admin:courses_promotionsnapshot_changelist": ("/admin/courses/promotionsnapshot/", ADMIN),
    "hr:access_log": ("/hr/access-log/", HR_ONLY),
    "hr:access_log_export": ("/hr/access-log/export.csv", HR_ONLY),
    "badges:mine": ("/badges/", SIGNED_IN),
    "badges:portfolio": ("/badges/portfolio/", SIGNED_IN),
    "badges:portfolio_add": ("/badges/portfolio/add/", SIGNED_IN),
    "badges:portfolio_detail": ("/badges/portfolio/{external}/", OWNER_ONLY),
    # The original file: the holder, and those who review her training record.
    "badges:portfolio_original": ("/badges/portfolio/{external}/original", ok_for(AN, B, C, SU, otherwise=404)),
    # This external badge has no public address of its own, so there is no QR code to show.
    "badges:portfolio_qr": ("/badges/portfolio/{external}/qr.svg", ok_for(otherwise=404)),
    "badges:record": ("/badges/record/", SIGNED_IN),
    # The person and her head of section; HR reads it at hr:profile (docs/roles.md).
    "badges:record_of": ("/badges/record/{alice_no}/", ok_for(AN, B, otherwise=404)),
    "badges:detail": ("/badges/{award}/", OWNER_ONLY),
    "badges:download_png": ("/badges/{award}/download.png", OWNER_ONLY),
    "badges:download_credential": ("/badges/{award}/credential.json", OWNER_ONLY),
    "public:issuer": ("/public/issuers/{issuer}", EVERYONE),
    "public:status_list": ("/public/issuers/{issuer}/status/0", EVERYONE),
    # The issuer's logo (wallets show it), and the skill framework's pages (alignments' targetUrl).
    "public:issuer_image": ("/public/issuers/{issuer}/image.png", EVERYONE),
    "public_skills:index": ("/public/skills/", EVERYONE),
    "public_skills:detail": ("/public/skills/{skill}/", EVERYONE),
    "public:badge_class": ("/public/badges/{badge_class}", EVERYONE),
    "public:badge_class_image": ("/public/badges/{badge_class}/image.png", EVERYONE),
    "public:assertion": ("/public/assertions/{award}", EVERYONE),
    "public:credential": ("/public/assertions/{award}/credential.json", EVERYONE),
    "public:award_image": ("/public/assertions/{award}/image.png", EVERYONE),  # alice made it public
    "public:assertion_qr": ("/public/assertions/{award}/qr.svg", EVERYONE),
    "public:share": ("/public/share/{token}/", EVERYONE),
    "public:share_qr": ("/public/share/{token}/qr.svg", EVERYONE),
    "public:verify": ("/public/verify/", EVERYONE),
    "did_document": ("/.well-known/did.json", EVERYONE),
    # Add to wallet (OpenID4VCI): the issuer's and its authorization server's metadata, the same
    # for everyone; the token, nonce and credential endpoints are POSTs (below).
    "oid4vci_issuer_metadata": ("/.well-known/openid-credential-issuer", EVERYONE),
    "oauth_authorization_server_metadata": ("/.well-known/oauth-authorization-server", EVERYONE),
    "health": ("/health", EVERYONE),
    # The Open Badges 3.0 API (badges/obapi/, docs/ob-api.md). Discovery and its public page are
    # for everyone; the API reads a bearer token only, never a session: 401 for every signed-in
    # person too (tests/badges/test_ob_api.py has the token cases).
    "obapi:discovery": ("/ims/ob/v3p0/discovery", EVERYONE),
    "obapi:credentials": ("/ims/ob/v3p0/credentials", dict.fromkeys(PERSONAS, 401)),
    "obapi:profile": ("/ims/ob/v3p0/profile", dict.fromkeys(PERSONAS, 401)),
    "obapi:about": ("/public/open-badges-api/", EVERYONE),
    # The consent page: sign in first; without a valid request (PKCE S256, a client) it says so.
    "obapi:authorize": ("/oauth/ob/authorize", ok_for(otherwise=400)),
    # 「連携中のアプリ」: each person's own list; disconnecting alice's application is hers alone.
    "obapi:connected_apps": ("/badges/connected-apps/", SIGNED_IN),
    "obapi:disconnect": ("/badges/connected-apps/{connection}/disconnect", OWNER_ONLY),
    # The organisation's colours (a stylesheet) and logo, the same for everyone (the sign-in
    # page uses them); no logo is configured here (tests/test_any_municipality.py serves one).
    "organisation_theme": ("/organisation/theme.css", EVERYONE),
    "organisation_logo": ("/organisation/logo", ok_for(otherwise=404, anonymous=404)),
    # Single sign-on's callback (staff/sso.py, allauth's with the ID token kept for signing out):
    # SSO is not configured here, so there is no such page for anyone (tests/browser/test_sso.py).
    "city_sso_callback": ("/accounts/oidc/city-sso/login/callback/", ok_for(otherwise=404, anonymous=404)),
    "admin:index": ("/admin/", ADMIN),
    "admin:staff_staffmember_changelist": ("/admin/staff/staffmember/", ADMIN),
    # Signed-in people without HR's import permission get a plain 403 here.
    "admin:staff_staffmember_import": ("/admin/staff/staffmember/import/", ok_for(C, SU, otherwise=403)),
    "admin:courses_enrolment_changelist": ("/admin/courses/enrolment/", ADMIN),
    "admin:courses_enrolment_change": ("/admin/courses/enrolment/{enrolment}/change/", ADMIN),
    # The enrolment page's decisions are POSTs (tests/courses/test_admin_enrolment_page.py): a GET is refused.
    "admin:courses_enrolment_decide": (
        "/admin/courses/enrolment/{enrolment}/decide/approve/",
        {**ADMIN, C: 405, SU: 405},
    ),
    "admin:badges_award_changelist": ("/admin/badges/award/", ADMIN),
    # The register of trusted issuers: HR keeps it, exports and imports it.
    "admin:badges_trustedissuer_changelist": ("/admin/badges/trustedissuer/", ADMIN),
    "admin:badges_trustedissuer_export": ("/admin/badges/trustedissuer/export.json", ADMIN),
    "admin:badges_trustedissuer_import": ("/admin/badges/trustedissuer/import/", ADMIN),
    # HR's switch of the Open Badges API, and the applications that registered (read-only).
    "admin:badges_obapiswitch_changelist": ("/admin/badges/obapiswitch/", ADMIN),
    "admin:badges_obapiclient_changelist": ("/admin/badges/obapiclient/", ADMIN),
    "admin:staff_recordaccess_changelist": ("/admin/staff/recordaccess/", ADMIN),
    # The CSV of the log's rows shown in the admin (tests/staff/test_access_log_admin.py).
    "admin:staff_recordaccess_export": ("/admin/staff/recordaccess/export.csv", ADMIN),
    # HR edits the fields of its job here (no roles, no password: tests/staff/test_roles.py).
    "admin:staff_staffmember_change": ("/admin/staff/staffmember/{alice_pk}/change/", ADMIN),
    # Nobody sets another person's password: a reset email only.
    "admin:auth_user_password_change": ("/admin/staff/staffmember/{alice_pk}/password/", ok_for(otherwise=403)),
    # Roles are granted by an administrator, on the record.
    "admin:staff_staffmember_roles": ("/admin/staff/staffmember/{alice_pk}/roles/", ok_for(SU, otherwise=403)),
    "admin:staff_rolechange_changelist": ("/admin/staff/rolechange/", {**ok_for(SU, otherwise=302), C: 403}),
    # HR's background jobs (staff/jobs.py): the recent ones, one job's page, and its poll.
    "admin:staff_backgroundjob_changelist": ("/admin/staff/backgroundjob/", ADMIN),
    "admin:staff_backgroundjob_change": ("/admin/staff/backgroundjob/{job}/change/", ADMIN),
    "admin:staff_backgroundjob_status": ("/admin/staff/backgroundjob/{job}/status.json", ADMIN),
}

# POST-only endpoints and the API: checked by the POST tests below.
POST_ONLY = {
    "staff:language_set",
    "staff:reminders_set",  # the profile's reminder switch: tests/courses/test_reminders.py
    "staff:team_opt_in_set",  # the profile's cross-department switch: tests/courses/test_teams.py
    "careers:choose",  # tests/courses/test_careers.py
    "careers:request",  # tests/courses/test_careers.py
    "hr:promotion_freeze",  # HR only: tests/courses/test_promotion.py
    "courses:decide",
    "courses:recommend_many",  # tests/courses/test_bulk_recommend.py
    "badges:portfolio_remove",
    "badges:visibility",
    "badges:share_link_renew",
    "badges:wallet_offer",  # the holder only (tests/badges/test_wallet.py and below)
    # A wallet app's calls, anonymous by design: the code, then the token, is the credential.
    "public:oid4vci_token",
    "public:oid4vci_nonce",
    "public:oid4vci_credential",
    "public:verify_api",
    # The Open Badges API's OAuth endpoints: a client's POSTs (tests/badges/test_ob_api.py).
    "obapi:token",
    "obapi:revoke",
    "obapi:register",
    "account_logout",
}


@pytest.fixture
def scene(alice, bob, carol, dave, signing_key, badge_class, enqueued, settings):  # type: ignore[no-untyped-def]
    alice.family_name_kana, alice.given_name_kana = "ヤマダ", "ハナコ"
    alice.save()
    other = dave.department
    other_head = make_staff(employee_number="100020", family_name="渡辺", given_name="誠", department=other)
    from staff.services import department_set_heads

    department_set_heads(department=other, heads=[other_head])
    superuser = make_staff(employee_number="100021", is_staff=True, is_superuser=True, mfa=True)
    skill = make_skill(code="LAW", name="法務")
    course = make_course(code="KENPO-1", title="憲法", badge_class=badge_class, skills={skill: 2})
    enrolment = make_enrolment(staff=alice, course=course, state="requested")
    approved = make_enrolment(staff=alice, course=make_course(code="GYOSEI-1", title="行政法"), state="approved")
    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:999", achieved_on=dt.date(2026, 4, 1)
    )
    issuing.award_ensure_issued(award_id=award.pk)
    award.refresh_from_db()
    services.award_set_visibility(award=award, visibility=Award.Visibility.PUBLIC, by=alice)
    award.refresh_from_db()
    external = services.external_badge_add(
        holder=alice, data=bake_ob3(external_credential(email=alice.email)), filename="chuo.png"
    )
    from courses.jobs import bulk_complete_job_start

    job, _created = bulk_complete_job_start(
        enrolment_ids=[approved.pk], actor=carol, completed_on=None, grade="", result_note="", date_reason=""
    )
    from courses.models import PromotionRuleSet
    from courses.promotion import snapshot_freeze

    promotion = PromotionRuleSet.objects.create(
        fiscal_year=2026, selection="shunin", cutoff_on=dt.date(2027, 1, 31), is_published=True
    )
    snapshot = snapshot_freeze(rule_set=promotion, actor=carol)
    from badges.obapi import protocol as obapi_protocol
    from badges.obapi import services as obapi_services

    api_client, _secret = obapi_services.obapi_client_register(
        name="大学バッジパック",
        client_uri="https://backpack.example",
        redirect_uris=["https://backpack.example/cb"],
        scopes=list(obapi_protocol.OFFERED_SCOPES),
        confidential=True,
    )
    connection = obapi_services.obapi_connection_record(
        holder=alice, application=api_client, scopes=list(obapi_protocol.OFFERED_SCOPES)
    )
    return {
        "people": {
            "alice": alice,
            "dave": dave,
            "bob": bob,
            "other_head": other_head,
            "carol": carol,
            "superuser": superuser,
        },
        "values": {
            "award": award.public_id,
            "token": award.share_token,
            "external": external.public_id,
            "course": course.code,
            "enrolment": enrolment.pk,
            "approved": approved.pk,
            "alice_no": alice.employee_number,
            "alice_pk": alice.pk,
            "issuer": award.issuer.public_id,
            "badge_class": badge_class.public_id,
            "skill": skill.code,
            "job": job.pk,
            "promotion": promotion.pk,
            "snapshot": snapshot.pk,
            "connection": connection.public_id,
        },
        "enrolment": enrolment,
        "award": award,
        "external": external,
    }


def _named_patterns() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str = "") -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                if p.namespace in ("admin",) or str(p.pattern).startswith("accounts/"):
                    continue  # the admin and allauth: sampled in MATRIX, tested by their projects
                walk(p.url_patterns, namespace + (f"{p.namespace}:" if p.namespace else ""))
            elif isinstance(p, URLPattern) and p.name:
                names.add(namespace + p.name)

    walk(get_resolver().url_patterns)
    return names - {"set_language"}


def test_every_page_of_ours_has_a_row_in_the_matrix():
    missing = _named_patterns() - set(MATRIX) - POST_ONLY
    assert not missing, f"add these pages to MATRIX with who may see them: {sorted(missing)}"


def test_every_page_answers_every_role_as_expected(client, scene):
    mismatches = []
    for name, (template, expected) in MATRIX.items():
        url = template.format(**scene["values"])
        for persona in PERSONAS:
            client.logout()
            if persona != "anonymous":
                client.force_login(scene["people"][persona])
            status = client.get(url).status_code
            if status != expected[persona]:
                mismatches.append(f"{name} {url} as {persona}: {status}, expected {expected[persona]}")
    assert not mismatches, "\n".join(mismatches)


def test_no_page_shows_alices_personal_data_to_people_who_may_not_see_it(client, scene):
    alice = scene["people"]["alice"]
    secrets = [alice.email, "ヤマダ"]
    for name, (template, _statuses) in MATRIX.items():
        url = template.format(**scene["values"])
        for persona in ("anonymous", "dave", "other_head"):
            client.logout()
            if persona != "anonymous":
                client.force_login(scene["people"][persona])
            response = client.get(url)
            if response.status_code != 200 or name in ("hr:people_export_xlsx", "public:award_image"):
                continue
            body = response.content.decode("utf-8", errors="replace")
            leaked = [s for s in secrets if s and s in body]
            assert not leaked, f"{name} shows {leaked} to {persona}"


def test_heads_of_section_get_403_on_every_promotion_selection_url(client, scene):
    """昇任選考 data is HR's and the candidate's own (docs/roles.md): a head of section, of the
    candidate's department or another, gets 403 on every /hr/promotion/ URL, the freeze included,
    and freezes nothing. A new promotion URL must be added here, and may not loosen this."""
    from courses.models import PromotionSnapshot

    names = {n for n in _named_patterns() if n.startswith("hr:promotion")}
    assert names == {n for n in MATRIX if n.startswith("hr:promotion")} | {"hr:promotion_freeze"}
    for name in sorted(names - {"hr:promotion_freeze"}):
        assert MATRIX[name][1]["bob"] == MATRIX[name][1]["other_head"] == 403, name
    frozen = PromotionSnapshot.objects.count()
    for persona in ("bob", "other_head"):
        client.force_login(scene["people"][persona])
        for name in sorted(names - {"hr:promotion_freeze"}):
            url = MATRIX[name][0].format(**scene["values"])
            assert client.get(url).status_code == 403, (persona, url)
        assert client.post(f"/hr/promotion/{scene['values']['promotion']}/freeze/").status_code == 403, persona
    assert PromotionSnapshot.objects.count() == frozen


def test_state_changing_endpoints_refuse_other_people(client, scene):
    enrolment, award, external = scene["enrolment"], scene["award"], scene["external"]
    people = scene["people"]
    attempts = [
        (f"/courses/my-learning/{enrolment.pk}/withdraw/", {}),
        (f"/badges/{award.public_id}/visibility", {"visibility": "private"}),
        (f"/badges/{award.public_id}/share-link/renew", {}),
        (f"/badges/{award.public_id}/wallet-offer", {}),
        (f"/badges/portfolio/{external.public_id}/remove", {}),
        (f"/badges/connected-apps/{scene['values']['connection']}/disconnect", {}),
    ]
    for persona in ("dave", "bob", "carol"):
        client.force_login(people[persona])
        for url, data in attempts:
            assert client.post(url, data).status_code == 404, (persona, url)
    client.force_login(people["other_head"])
    response = client.post(f"/courses/approvals/{enrolment.pk}/decide/", {"decision": "recommend", "comment": "x"})
    assert response.status_code in (403, 404)
    enrolment.refresh_from_db()
    assert enrolment.state == "requested"
    award.refresh_from_db()
    assert award.visibility == Award.Visibility.PUBLIC
    assert not award.wallet_offers.exists()


def _roles_and_password(person: Any) -> tuple[Any, ...]:
    person.refresh_from_db()
    groups = tuple(sorted(person.groups.values_list("name", flat=True)))
    departments = tuple(person.headed_departments.values_list("pk", flat=True))
    return person.is_superuser, person.is_staff, groups, departments, person.password


def test_only_an_administrator_grants_roles_and_nobody_sets_a_password(client, scene):
    """The role page's POST for every role, the staff change form posted with the role fields,
    and the set-password URL, by every persona. Only the administrator's role grants count."""
    from staff import roles
    from tests.factories import DEFAULT_PASSWORD

    people = scene["people"]
    alice, dave = people["alice"], people["dave"]
    department = alice.department
    grants = [
        {"action": "grant", "role": roles.HR, "reason": "研修担当に配置"},
        {"action": "grant", "role": roles.SECTION_HEAD, "department": department.pk, "reason": "所属長"},
        {"action": "grant", "role": roles.ADMINISTRATOR, "reason": "システム管理者"},
    ]
    forged_change = {
        "employee_number": alice.employee_number,
        "email": alice.email,
        "family_name": alice.family_name,
        "given_name": alice.given_name,
        "employment_type": alice.employment_type,
        "preferred_language": alice.preferred_language,
        "department": department.pk,
        "is_active": "on",
        "is_superuser": "on",
        "is_staff": "on",
        "groups": [g.pk for g in dave.groups.model.objects.all()],
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
    }
    expected_role_post = {**dict.fromkeys(PERSONAS, 403), "anonymous": 302, "superuser": 302}
    before_alice, before_dave = _roles_and_password(alice), _roles_and_password(dave)
    for persona in PERSONAS:
        client.logout()
        if persona != "anonymous":
            client.force_login(people[persona])
        for data in grants:
            status = client.post(f"/admin/staff/staffmember/{dave.pk}/roles/", data).status_code
            assert status == expected_role_post[persona], (persona, data["role"], status)
        password_url = f"/admin/staff/staffmember/{alice.pk}/password/"
        response = client.post(password_url, {"password1": "new-password-1234", "password2": "new-password-1234"})
        assert response.status_code == (302 if persona == "anonymous" else 403), persona
        client.post(f"/admin/staff/staffmember/{alice.pk}/change/", forged_change)
        assert _roles_and_password(alice) == before_alice, persona
        if persona != "superuser":
            assert _roles_and_password(dave) == before_dave, persona
    assert alice.check_password(DEFAULT_PASSWORD)
    assert _roles_and_password(dave)[:4] == (True, True, ("hr", "section_head", "staff"), (department.pk,))
    from staff.models import RoleChange

    granted = RoleChange.objects.filter(staff=dave).values_list("actor", "role")
    assert sorted(granted) == sorted((people["superuser"].pk, g["role"]) for g in grants)


def test_anonymous_posts_go_to_sign_in_and_change_nothing(client, scene):
    award = scene["award"]
    response = client.post(f"/badges/{award.public_id}/visibility", {"visibility": "private"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(f"/badges/{award.public_id}/wallet-offer")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not award.wallet_offers.exists()
    award.refresh_from_db()
    assert award.visibility == Award.Visibility.PUBLIC


def test_public_urls_carry_uuids_not_sequential_ids(scene):
    uuid = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    award = scene["award"]
    for document in (award.assertion, award.credential):
        for url in re.findall(r"https?://[^\"\s]+", json.dumps(document)):
            # Status lists are numbered; skills are the framework's public codes (LAW), no one's.
            if "/public/" in url and "/status/" not in url and "/public/skills/" not in url:
                assert uuid.search(url), url


# Reachable before two-step verification is set up: the same document for everyone, and the
# single sign-on callback (part of signing in, under /accounts/ like the rest of allauth's).
SAME_FOR_EVERYONE = {
    "did_document",
    "health",
    "city_sso_callback",
    "oid4vci_issuer_metadata",
    "oauth_authorization_server_metadata",
    "organisation_theme",
    "organisation_logo",
}


def test_hr_and_superusers_without_totp_are_sent_to_set_it_up_from_every_page(client, scene):
    """Every page in the matrix, the public tree included (private badge images and share pages
    would otherwise open for a password alone)."""
    from django.urls import reverse

    setup = reverse("mfa_activate_totp")
    without_totp = [
        make_staff(employee_number="100030", role="hr", mfa=False),
        make_staff(employee_number="100031", is_staff=True, is_superuser=True, mfa=False),
    ]
    wrong = []
    for person in without_totp:
        client.force_login(person)
        for name, (template, _statuses) in MATRIX.items():
            if name in SAME_FOR_EVERYONE:
                continue
            response = client.get(template.format(**scene["values"]))
            if response.status_code != 302 or response["Location"] != setup:
                wrong.append(f"{name} as {person.employee_number}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
