from __future__ import annotations

import json
import logging

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_health_reports_each_part_without_details(client, signing_key, settings):
    response = client.get("/health")
    body = response.json()
    assert set(body["checks"]) == {"database", "broker", "signing_key"}
    assert body["checks"]["database"] == "ok" and body["checks"]["signing_key"] == "ok"
    assert response.status_code == (200 if body["status"] == "ok" else 503)


def test_health_fails_without_leaking_why(client, settings, tmp_path):
    settings.BADGE_SIGNING_KEY_FILE = str(tmp_path / "missing.pem")
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["signing_key"] == "failing"
    assert "missing.pem" not in response.content.decode()


def test_every_response_carries_a_request_id_and_keeps_a_sane_incoming_one(client):
    assert len(client.get("/accounts/login/")["X-Request-ID"]) == 32
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    assert client.get("/accounts/login/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"] != "<script>"


def test_json_logs_carry_the_request_id():
    from hachioji_portal.logging import JsonFormatter, RequestIdFilter, request_id_var

    token = request_id_var.set("req-1")
    try:
        record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("世界",), None)
        RequestIdFilter().filter(record)
        entry = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert entry["request_id"] == "req-1" and entry["message"] == "hello 世界"


def test_the_backlog_command_reports_pending_and_failed(alice, badge_class, enqueued, capsys):
    import datetime as dt

    from badges import services
    from badges.models import Award

    award, _ = services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:1", achieved_on=dt.date(2026, 4, 1)
    )
    services.award_request(
        recipient=alice, badge_class=badge_class, source_key="enrolment:2", achieved_on=dt.date(2026, 4, 1)
    )
    Award.objects.filter(pk=award.pk).update(status=Award.Status.FAILED, failure_reason="x")
    call_command("issuing_backlog", "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["pending"] == 1 and report["failed"] == 1
