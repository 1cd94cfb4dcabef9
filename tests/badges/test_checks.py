"""System checks of the issuer's configuration, and the file mode of stored badges."""

from __future__ import annotations

import os
import stat

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from badges.core import signing


def _ids(*, deploy: bool) -> set[str]:
    return {message.id for message in checks.run_checks(include_deployment_checks=deploy)}


@pytest.mark.parametrize(
    "domain", ["badges.city.hachioji.tokyo.jp", "localhost", "badges.example.jp:8443", "portal-1.example.jp:443"]
)
def test_a_host_or_host_and_port_is_accepted_as_the_did_web_domain(settings, domain):
    settings.BADGE_DID_WEB_DOMAIN = domain
    assert "badges.E001" not in _ids(deploy=False)


@pytest.mark.parametrize(
    "domain",
    [
        "https://badges.city.hachioji.tokyo.jp",
        "badges.city.hachioji.tokyo.jp/",
        "badges.city.hachioji.tokyo.jp/portal",
        "badges.example.jp%3A8443",
        "badges.example.jp:",
        "badges.example.jp:99999",
        "badges example.jp",
        " badges.example.jp",
        "did:web:badges.example.jp",
        "-badges.example.jp",
    ],
)
def test_anything_else_as_the_did_web_domain_is_an_error(settings, domain):
    settings.BADGE_DID_WEB_DOMAIN = domain
    assert "badges.E001" in _ids(deploy=False)
    with pytest.raises(SystemCheckError, match="BADGE_DID_WEB_DOMAIN"):
        call_command("check")


def _key_file(tmp_path, *, mode: int, passphrase: bytes | None) -> str:
    path = tmp_path / "issuer.pem"
    path.write_bytes(signing.private_key_to_pem(signing.generate_private_key(), passphrase))
    os.chmod(path, mode)
    return str(path)


def test_check_deploy_warns_about_an_unencrypted_signing_key_readable_by_others(settings, tmp_path):
    settings.BADGE_SIGNING_KEY_FILE = _key_file(tmp_path, mode=0o644, passphrase=None)
    found = _ids(deploy=True)
    assert {"badges.W001", "badges.W002"} <= found
    assert not {"badges.W001", "badges.W002"} & _ids(deploy=False)  # only with --deploy


def test_check_deploy_warns_about_an_encrypted_key_the_group_may_read(settings, tmp_path):
    settings.BADGE_SIGNING_KEY_FILE = _key_file(tmp_path, mode=0o640, passphrase=b"correct horse")
    found = _ids(deploy=True)
    assert "badges.W001" in found and "badges.W002" not in found


def test_check_deploy_warns_about_an_unencrypted_key_even_with_mode_0400(settings, tmp_path):
    settings.BADGE_SIGNING_KEY_FILE = _key_file(tmp_path, mode=0o400, passphrase=None)
    found = _ids(deploy=True)
    assert "badges.W002" in found and "badges.W001" not in found


def test_check_deploy_is_quiet_about_an_encrypted_key_only_its_owner_reads(settings, tmp_path):
    settings.BADGE_SIGNING_KEY_FILE = _key_file(tmp_path, mode=0o400, passphrase=b"correct horse")
    assert not {"badges.W001", "badges.W002"} & _ids(deploy=True)


@pytest.mark.django_db
def test_a_baked_badge_is_stored_readable_by_owner_and_group_only(award):
    mode = stat.S_IMODE(os.stat(award.baked_image.path).st_mode)
    assert mode == 0o640, f"{mode:04o}"
