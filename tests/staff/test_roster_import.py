"""HR's personnel roster import and export, driven through the real admin views.

Upload → preview (dry run) → confirm, as HR does it in the browser; carol is HR.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from allauth.account.models import EmailAddress
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from staff.models import Assignment, StaffMember
from tests.factories import make_department, make_staff, totp_enable

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:staff_staffmember_import")
CONFIRM_URL = reverse("admin:staff_staffmember_process_import")
EXPORT_URL = reverse("admin:staff_staffmember_export")
CSV, XLSX = "0", "1"  # the admin's format choices, in the order of staff.formats.ROSTER_FORMATS

HEADER = [
    "職員番号",
    "姓",
    "名",
    "姓カナ",
    "名カナ",
    "メールアドレス",
    "所属コード",
    "職層",
    "職種",
    "雇用形態",
    "異動日",
]
PENDING_PO = Path(__file__).resolve().parents[2] / "docs" / "_pending_translations" / "roster.po"


@pytest.fixture(autouse=True)
def roster_translations(settings, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The Japanese for this feature's messages, until the lead merges them into locale/ja."""
    if not PENDING_PO.exists():
        return
    if shutil.which("msgfmt") is None:
        pytest.skip("msgfmt (gettext) is needed to compile the pending translations")
    target = tmp_path / "locale" / "ja" / "LC_MESSAGES"
    target.mkdir(parents=True)
    subprocess.run(["msgfmt", "-o", str(target / "django.mo"), str(PENDING_PO)], check=True)  # noqa: S603, S607
    settings.LOCALE_PATHS = [tmp_path / "locale", *settings.LOCALE_PATHS]


@pytest.fixture
def shimin(db):  # type: ignore[no-untyped-def]
    division = make_department(code="30", name="市民部", level="division")
    return make_department(code="3010", name="市民課", level="section", parent=division)


@pytest.fixture
def hr_client(client, carol):  # type: ignore[no-untyped-def]
    client.force_login(carol)
    return client


def row(number: str, family: str, given: str, email: str, department: str = "4010", **extra: str) -> list[str]:
    values = {
        "姓カナ": "ヤマダ",
        "名カナ": "ハナコ",
        "職層": "主事",
        "職種": "事務",
        "雇用形態": "正規",
        "異動日": "",
        **extra,
    }
    return [
        number,
        family,
        given,
        values["姓カナ"],
        values["名カナ"],
        email,
        department,
        values["職層"],
        values["職種"],
        values["雇用形態"],
        values["異動日"],
    ]


def csv_bytes(rows: list[list[str]], encoding: str = "utf-8", header: list[str] | None = None) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], header: list[str] | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header or HEADER)
    for values in rows:
        sheet.append(values)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def preview(client, content: bytes, name: str = "roster.csv", fmt: str = CSV, full_roster: bool = False):  # type: ignore[no-untyped-def]
    upload = io.BytesIO(content)
    upload.name = name
    data = {"import_file": upload, "format": fmt, "resource": "0"}
    if full_roster:
        data["full_roster"] = "on"
    response = client.post(IMPORT_URL, data)
    assert response.status_code == 200
    return response


def confirm(client, preview_response):  # type: ignore[no-untyped-def]
    confirm_form = preview_response.context["confirm_form"]
    assert confirm_form is not None, "the preview offered no confirmation"
    data = {name: confirm_form.initial.get(name, "") for name in confirm_form.fields}
    return client.post(CONFIRM_URL, data, follow=True)


def import_roster(client, content: bytes, **kwargs: Any):  # type: ignore[no-untyped-def]
    return confirm(client, preview(client, content, **kwargs))


def totals(response) -> dict[str, int]:  # type: ignore[no-untyped-def]
    result = response.context["result"]
    return {
        "new": result.count_new,
        "changed": result.count_changed,
        "unchanged": result.count_unchanged,
        "invalid": result.count_invalid,
    }


def page(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


TWO_PEOPLE = [
    row("200001", "山本", "太郎", "yamamoto@city.test", 異動日="2025-04-01"),
    row(
        "200002", "中村", "次郎", "Nakamura@City.test", department="3010", 職層="主任", 職種="技術", 異動日="2025-04-01"
    ),
]


# --- Encodings and formats ------------------------------------------------------------------


def test_hr_previews_a_utf8_roster_and_nothing_changes_until_confirmed(hr_client, department, shimin):
    response = preview(hr_client, csv_bytes(TWO_PEOPLE))
    assert totals(response) == {"new": 2, "changed": 0, "unchanged": 0, "invalid": 0}
    assert "新規" in page(response)
    assert not StaffMember.objects.filter(employee_number__in=["200001", "200002"]).exists()

    response = confirm(hr_client, response)

    yamamoto = StaffMember.objects.get(employee_number="200001")
    nakamura = StaffMember.objects.get(employee_number="200002")
    assert (yamamoto.family_name, yamamoto.given_name, yamamoto.department, yamamoto.grade) == (
        "山本",
        "太郎",
        department,
        "shuji",
    )
    assert (nakamura.email, nakamura.department, nakamura.grade, nakamura.job_family) == (
        "nakamura@city.test",
        shimin,
        "shunin",
        "technical",
    )
    assert "取り込みました" in page(response)


def test_imported_staff_can_sign_in_at_once_and_have_their_first_assignment(hr_client, department, shimin):
    import_roster(hr_client, csv_bytes(TWO_PEOPLE))

    yamamoto = StaffMember.objects.get(employee_number="200001")
    assert EmailAddress.objects.filter(user=yamamoto, email="yamamoto@city.test", verified=True, primary=True).exists()
    assert yamamoto.groups.filter(name="staff").exists()
    assignment = yamamoto.assignments.get()
    assert (assignment.department, assignment.valid_from, assignment.valid_to) == (
        department,
        dt.date(2025, 4, 1),
        None,
    )


def test_a_utf8_file_with_a_bom_imports(hr_client, department, shimin):
    content = csv_bytes(TWO_PEOPLE, encoding="utf-8-sig")
    assert content.startswith(b"\xef\xbb\xbf")
    import_roster(hr_client, content)
    assert StaffMember.objects.filter(employee_number__in=["200001", "200002"]).count() == 2


def test_an_excel_shift_jis_file_keeps_characters_strict_shift_jis_cannot_read(hr_client, department):
    rows = [row("200003", "髙橋", "①㈱子", "takahashi@city.test", 姓カナ="タカハシ", 名カナ="イチコ")]
    content = csv_bytes(rows, encoding="cp932")
    with pytest.raises(UnicodeDecodeError):
        content.decode("shift_jis")  # why strict Shift_JIS is not enough

    import_roster(hr_client, content)

    person = StaffMember.objects.get(employee_number="200003")
    assert (person.family_name, person.given_name, person.family_name_kana) == ("髙橋", "①㈱子", "タカハシ")


def test_an_xlsx_roster_imports_with_numbers_and_dates_as_excel_stores_them(hr_client, department, shimin):
    rows: list[list[Any]] = [row("200001", "山本", "太郎", "yamamoto@city.test"), TWO_PEOPLE[1]]
    rows[0][0] = 200001  # typed as a number in Excel
    rows[0][6] = 4010
    rows[0][10] = dt.datetime(2025, 4, 1)  # a date cell
    response = import_roster(hr_client, xlsx_bytes(rows), name="roster.xlsx", fmt=XLSX)

    yamamoto = StaffMember.objects.get(employee_number="200001")
    assert yamamoto.department == department
    assert yamamoto.assignments.get().valid_from == dt.date(2025, 4, 1)
    assert StaffMember.objects.filter(employee_number="200002").exists()
    assert response.status_code == 200


def test_english_headers_are_accepted(hr_client, department):
    header = ["employee_number", "family_name", "given_name", "email", "department_code", "grade"]
    content = csv_bytes([["200004", "小林", "三郎", "kobayashi@city.test", "4010", "係長"]], header=header)
    import_roster(hr_client, content)
    assert StaffMember.objects.get(employee_number="200004").grade == "kakaricho"


# --- Invalid rows ---------------------------------------------------------------------------


def test_a_shift_jis_file_with_one_bad_row_says_why_and_changes_nothing_then_the_fixed_file_imports(
    hr_client, department, shimin
):
    rows = [*TWO_PEOPLE, row("200005", "髙田", "花子", "takada@city.test", department="9999")]
    response = preview(hr_client, csv_bytes(rows, encoding="cp932"))

    assert totals(response)["invalid"] == 1
    assert "所属コード 9999 は存在しません" in page(response)
    assert response.context.get("confirm_form") is None
    assert not StaffMember.objects.filter(employee_number__startswith="2000").exists()

    rows[-1] = row("200005", "髙田", "花子", "takada@city.test", department="3010")
    import_roster(hr_client, csv_bytes(rows, encoding="cp932"))
    assert StaffMember.objects.filter(employee_number__startswith="2000").count() == 3
    assert StaffMember.objects.get(employee_number="200005").family_name == "髙田"


def test_each_invalid_row_gives_its_line_and_reason_in_japanese(hr_client, department, alice):
    rows = [
        row("", "空欄", "太郎", "blank@city.test"),
        row("200006", "形式", "太郎", "not-an-email"),
        row("200007", "重複", "太郎", "dup1@city.test"),
        row("200007", "重複", "次郎", "dup2@city.test"),
        row("200008", "既存", "太郎", "ALICE@city.test"),
        row("200009", "職層", "太郎", "grade@city.test", 職層="社長"),
        row("200010", "日付", "太郎", "date@city.test", 異動日="4月1日"),
    ]
    response = preview(hr_client, csv_bytes(rows))
    html = page(response)

    assert totals(response)["invalid"] == 7
    assert "職員番号が空です" in html
    assert "メールアドレスの形式が正しくありません" in html
    assert "職員番号 200007 がファイル内で重複しています（4, 5 行目）" in html
    assert "メールアドレス alice@city.test は職員番号 100001 の職員がすでに使っています" in html
    assert "職層「社長」は使えません" in html
    assert "異動日「4月1日」を日付として読めません" in html
    invalid_lines = [invalid.number + 1 for invalid in response.context["result"].invalid_rows]
    assert invalid_lines == [2, 3, 4, 5, 6, 7, 8]  # as Excel numbers them, the header being line 1
    assert not StaffMember.objects.filter(family_name__in=["形式", "重複", "既存"]).exists()


def test_a_problem_that_appears_between_preview_and_confirm_imports_nothing(hr_client, department, shimin):
    response = preview(hr_client, csv_bytes(TWO_PEOPLE))
    make_staff(employee_number="300001", email="yamamoto@city.test")  # someone takes the address meanwhile

    response = confirm(hr_client, response)

    assert "何も取り込んでいません" in page(response)
    assert "メールアドレス yamamoto@city.test は職員番号 300001 の職員がすでに使っています" in page(response)
    assert not StaffMember.objects.filter(employee_number__in=["200001", "200002"]).exists()


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        pytest.param(b"", CSV, "ファイルは空です", id="empty file"),
        pytest.param(b" \r\n", CSV, "ファイルが空です", id="blank file"),
        pytest.param(bytes(range(256)) * 8, CSV, "CSV のテキストファイルではありません", id="binary junk"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00junk", XLSX, "Excel ブック (xlsx) として読めません", id="junk as xlsx"),
        pytest.param(
            "名前,住所\n山田,八王子\n".encode(),
            CSV,
            "必須の列がありません: 職員番号、姓、名、メールアドレス",
            id="wrong columns",
        ),
        pytest.param(csv_bytes([]), CSV, "データの行がありません", id="header only"),
        pytest.param(
            csv_bytes([["1", "2"]]) + b"\r\n1,2,3,4,5,6,7,8,9,10,11,12\r\n", CSV, "列の数より多い", id="ragged"
        ),
    ],
)
def test_a_malformed_file_gives_a_clear_message_and_changes_nothing(hr_client, alice, content, fmt, message):
    before = list(StaffMember.objects.order_by("pk").values_list("pk", "email", "is_active"))
    response = preview(hr_client, content, name="roster.xlsx" if fmt == XLSX else "roster.csv", fmt=fmt)
    assert message in page(response)
    assert response.context.get("confirm_form") is None
    assert list(StaffMember.objects.order_by("pk").values_list("pk", "email", "is_active")) == before


def test_an_xlsx_file_uploaded_as_csv_says_to_choose_xlsx(hr_client, department):
    response = preview(hr_client, xlsx_bytes([TWO_PEOPLE[0]]), name="roster.xlsx", fmt=CSV)
    assert "xlsx" in page(response)
    assert "Excel ブック" in page(response)


# --- Re-imports, transfers, email changes ---------------------------------------------------------


def test_reimporting_the_same_file_changes_nothing(hr_client, department, shimin):
    content = csv_bytes(TWO_PEOPLE, encoding="cp932")
    import_roster(hr_client, content)
    assignments = list(Assignment.objects.order_by("pk").values())
    people = list(StaffMember.objects.order_by("pk").values())
    log_entries = LogEntry.objects.count()

    response = preview(hr_client, content)
    assert totals(response) == {"new": 0, "changed": 0, "unchanged": 2, "invalid": 0}
    response = confirm(hr_client, response)

    assert "新規 0 名、変更 0 名、変更なし 2 名" in page(response)
    assert list(Assignment.objects.order_by("pk").values()) == assignments
    assert list(StaffMember.objects.order_by("pk").values()) == people
    assert LogEntry.objects.count() == log_entries


def test_a_transfer_and_a_promotion_are_kept_as_assignment_history(hr_client, department, shimin):
    import_roster(hr_client, csv_bytes([row("200001", "山本", "太郎", "yamamoto@city.test", 異動日="2025-04-01")]))
    moved = row("200001", "山本", "太郎", "yamamoto@city.test", department="3010", 職層="主任", 異動日="2026/4/1")

    response = preview(hr_client, csv_bytes([moved]))
    assert totals(response)["changed"] == 1
    assert "所属コード: 4010 福祉政策課 → 3010 市民課" in page(response)
    import_roster(hr_client, csv_bytes([moved]))

    person = StaffMember.objects.get(employee_number="200001")
    history = list(
        person.assignments.order_by("valid_from").values_list("department__code", "grade", "valid_from", "valid_to")
    )
    assert history == [
        ("4010", "shuji", dt.date(2025, 4, 1), dt.date(2026, 4, 1)),
        ("3010", "shunin", dt.date(2026, 4, 1), None),
    ]
    assert (person.department, person.grade) == (shimin, "shunin")


def test_a_transfer_without_a_date_takes_effect_today(hr_client, department, shimin):
    import_roster(hr_client, csv_bytes([row("200001", "山本", "太郎", "yamamoto@city.test", 異動日="2020-04-01")]))
    import_roster(hr_client, csv_bytes([row("200001", "山本", "太郎", "yamamoto@city.test", department="3010")]))
    current = StaffMember.objects.get(employee_number="200001").assignments.get(valid_to__isnull=True)
    from django.utils import timezone

    assert (current.department, current.valid_from) == (shimin, timezone.localdate())


def test_an_email_change_keeps_the_employee_number_and_the_person(hr_client, alice, department):
    content = csv_bytes([row("100001", "山田", "花子", "hanako.yamada@city.test")])
    response = preview(hr_client, content)
    assert totals(response)["changed"] == 1
    confirm(hr_client, response)

    person = StaffMember.objects.get(pk=alice.pk)
    assert (person.employee_number, person.email) == ("100001", "hanako.yamada@city.test")
    assert list(EmailAddress.objects.filter(user=person).values_list("email", "verified")) == [
        ("hanako.yamada@city.test", True)
    ]


def test_a_person_who_was_deactivated_and_is_back_on_the_roster_is_reactivated(hr_client, alice, department):
    StaffMember.objects.filter(pk=alice.pk).update(is_active=False, family_name_kana="ヤマダ", given_name_kana="ハナコ")
    response = preview(hr_client, csv_bytes([row("100001", "山田", "花子", "alice@city.test")]))
    assert totals(response)["changed"] == 1
    assert "再び有効にします" in page(response)
    confirm(hr_client, response)
    assert StaffMember.objects.get(pk=alice.pk).is_active


# --- Full roster ----------------------------------------------------------------------------


def test_a_full_roster_deactivates_staff_missing_from_it_only_on_confirm(hr_client, carol, alice, bob, dave):
    content = csv_bytes(
        [row("100001", "山田", "花子", "alice@city.test"), row("100002", "佐藤", "一郎", "bob@city.test", 職層="課長")]
    )
    response = preview(hr_client, content, full_roster=True)

    assert response.context["result"].count_deactivations == 1
    assert "100004" in page(response)
    assert "無効にする職員" in page(response)
    assert StaffMember.objects.get(pk=dave.pk).is_active  # the preview writes nothing

    response = confirm(hr_client, response)

    dave = StaffMember.objects.get(pk=dave.pk)  # still there: deactivated, never deleted
    assert not dave.is_active
    assert StaffMember.objects.get(pk=alice.pk).is_active
    assert StaffMember.objects.get(pk=carol.pk).is_active  # the person importing is never deactivated
    assert "無効化 1 名" in page(response)


def test_an_import_that_is_not_a_full_roster_deactivates_nobody(hr_client, alice, dave):
    import_roster(hr_client, csv_bytes([row("100001", "山田", "花子", "alice@city.test")]))
    assert StaffMember.objects.get(pk=dave.pk).is_active


def test_a_full_roster_with_an_invalid_row_deactivates_nobody(hr_client, alice, dave):
    content = csv_bytes([row("100001", "山田", "花子", "alice@city.test", department="9999")])
    response = preview(hr_client, content, full_roster=True)
    assert response.context.get("confirm_form") is None
    assert StaffMember.objects.get(pk=dave.pk).is_active


# --- Export ---------------------------------------------------------------------------------


def export(client, fmt: str):  # type: ignore[no-untyped-def]
    from staff.resources import StaffRosterResource

    fields = {f"staffrosterresource_{name}": "on" for name in StaffRosterResource().get_export_order()}
    return client.post(EXPORT_URL, {"format": fmt, "resource": "0", **fields})


def test_the_csv_export_has_a_bom_and_japanese_headers_and_reimports_as_unchanged(hr_client, alice, bob, dave):
    response = export(hr_client, CSV)
    assert response.status_code == 200
    content = response.content
    assert content.startswith(b"\xef\xbb\xbf")
    assert content.decode("utf-8-sig").splitlines()[0] == ",".join(HEADER)
    assert "課長" in content.decode("utf-8-sig")

    response = preview(hr_client, content, full_roster=True)
    result = response.context["result"]
    assert (result.count_new, result.count_changed, result.count_invalid, result.count_deactivations) == (0, 0, 0, 0)
    assert result.count_unchanged == StaffMember.objects.filter(is_active=True).count()


def test_the_xlsx_export_reimports_as_unchanged(hr_client, alice, bob, dave):
    response = export(hr_client, XLSX)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')

    response = preview(hr_client, response.content, name="roster.xlsx", fmt=XLSX)
    assert totals(response) == {"new": 0, "changed": 0, "unchanged": 4, "invalid": 0}


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_staff_and_heads_of_section_get_403_on_import_and_export(client, request, persona):
    person = request.getfixturevalue(persona)
    client.force_login(person)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(CONFIRM_URL, {}).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403
    assert client.post(EXPORT_URL, {"format": CSV}).status_code == 403


def test_a_head_of_section_who_may_use_the_admin_still_gets_403(client, department):
    head = make_staff(role="section_head", is_staff=True, mfa=False)
    totp_enable(head)
    client.force_login(head)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.get(EXPORT_URL).status_code == 403


def test_hr_sees_the_import_and_export_buttons(hr_client):
    response = hr_client.get(reverse("admin:staff_staffmember_changelist"))
    assert IMPORT_URL in page(response)
    assert EXPORT_URL in page(response)
    response = hr_client.get(IMPORT_URL)
    assert "全職員の名簿として取り込む（名簿にない職員を無効にする）" in page(response)


@pytest.mark.parametrize("fmt", [CSV, XLSX])
def test_a_name_that_looks_like_a_formula_is_exported_as_text_and_reimports_unchanged(hr_client, alice, fmt):
    StaffMember.objects.filter(pk=alice.pk).update(given_name='=HYPERLINK("http://evil.example","花子")')
    response = export(hr_client, fmt)
    assert response.status_code == 200
    if fmt == CSV:
        assert '\'=HYPERLINK(""http://evil.example""' in response.content.decode("utf-8-sig")
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
        cells = [cell for row in sheet.iter_rows() for cell in row if "HYPERLINK" in str(cell.value)]
        assert [(c.data_type, c.value) for c in cells] == [("s", '\'=HYPERLINK("http://evil.example","花子")')]
    response = preview(hr_client, response.content, name=f"roster.{'xlsx' if fmt == XLSX else 'csv'}", fmt=fmt)
    assert totals(response)["changed"] == 0 and totals(response)["invalid"] == 0
