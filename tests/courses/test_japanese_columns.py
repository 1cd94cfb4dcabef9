"""The catalogue's and the enrolments' files have Japanese column names and labels, not codes
(issue 13), and each resource reads back what it exports: export, then import unchanged.
Files exported before (English field names, raw codes) still import."""

from __future__ import annotations

import datetime as dt

import pytest
import tablib

from courses.models import Course, Enrolment, Skill
from courses.resources import CourseResource, EnrolmentExportResource, GradeReportResource, SkillResource
from staff.formats import RosterCSV
from tests.factories import make_badge_class, make_course, make_enrolment, make_skill, make_started_course

pytestmark = pytest.mark.django_db


def _csv_round_trip(dataset: tablib.Dataset) -> tablib.Dataset:
    """The file HR downloads, read back as the import reads an upload."""
    return RosterCSV().create_dataset(dataset.export("csv").encode("utf-8"))


def _has_no_errors(result) -> bool:  # type: ignore[no-untyped-def]
    return not result.has_errors() and not result.has_validation_errors()


def test_skills_export_japanese_columns_and_import_back_unchanged():
    make_skill(code="LAW", name="法務")
    make_skill(code="DX", name="デジタル変革", is_active=False)
    before = list(Skill.objects.order_by("code").values())
    dataset = SkillResource().export()
    assert dataset.headers == ["スキルコード", "スキル名", "スキル名（英語）", "説明", "説明（英語）", "表示順", "有効"]
    result = SkillResource().import_data(_csv_round_trip(dataset), dry_run=False)
    assert _has_no_errors(result), [r.errors for r in result.rows]
    assert {row.import_type for row in result.rows} == {"skip"}
    assert list(Skill.objects.order_by("code").values()) == before


def test_a_skill_file_with_the_old_english_headers_still_imports():
    text = "code,name,name_en,description,description_en,sort_order,is_active\nhr,人事,HR,,,3,1\n"
    result = SkillResource().import_data(RosterCSV().create_dataset(text.encode()), dry_run=False)
    assert _has_no_errors(result), [r.errors for r in result.rows]
    skill = Skill.objects.get(code="HR")
    assert (skill.name, skill.sort_order, skill.is_active) == ("人事", 3, True)


def test_courses_export_japanese_columns_and_labels_and_import_back_unchanged():
    law, dx = make_skill(code="LAW"), make_skill(code="DX")
    make_course(code="C-1", delivery="online", for_promotion=True, skills={law: 2, dx: 1})
    make_course(code="C-2", delivery="correspondence")
    before = list(Course.objects.order_by("code").values())
    skills_before = sorted(Course.objects.values_list("code", "course_skills__skill__code", "course_skills__level"))
    dataset = CourseResource().export()
    assert dataset.headers[:3] == ["講座コード", "講座名", "講座名（英語）"]
    assert all(not header.isascii() for header in dataset.headers), dataset.headers
    deliveries = dataset["実施形態"]
    assert sorted(deliveries) == ["オンライン", "通信"], deliveries
    result = CourseResource().import_data(_csv_round_trip(dataset), dry_run=False)
    assert _has_no_errors(result), [(r.errors, r.validation_error) for r in result.rows]
    assert {row.import_type for row in result.rows} == {"skip"}
    assert list(Course.objects.order_by("code").values()) == before
    after = sorted(Course.objects.values_list("code", "course_skills__skill__code", "course_skills__level"))
    assert after == skills_before


def test_a_course_file_with_the_old_english_headers_and_codes_still_imports():
    provider = make_course(code="C-0").provider
    text = (
        "code,title,provider,delivery,cost,city_subsidy,is_published\n"
        f"c-9,契約事務の基礎,{provider.code},classroom,1000,0,1\n"
    )
    result = CourseResource().import_data(RosterCSV().create_dataset(text.encode()), dry_run=False)
    assert _has_no_errors(result), [(r.errors, r.validation_error) for r in result.rows]
    course = Course.objects.get(code="C-9")
    assert (course.title, course.delivery) == ("契約事務の基礎", "classroom")


def test_the_enrolment_export_names_states_and_use_types_by_their_labels(alice):
    course = make_course(code="C-1")
    make_enrolment(staff=alice, course=course, state="completed", use_type="promotion")
    dataset = EnrolmentExportResource().export()
    assert dataset.headers[:3] == ["申込番号", "職員番号", "氏名"]
    assert "申請日時" in dataset.headers
    assert all(not header.isascii() for header in dataset.headers), dataset.headers
    row = dict(zip(dataset.headers, dataset[0], strict=True))
    assert (row["状態"], row["活用区分"]) == ("修了", "昇任選考活用型")
    assert "promotion" not in dataset.export("csv") and "completed" not in dataset.export("csv")
    # Export only: its widgets still read the labels back to the codes.
    resource = EnrolmentExportResource()
    assert resource.fields["state"].widget.clean("修了") == "completed"
    assert resource.fields["use_type"].widget.clean("昇任選考活用型") == "promotion"
    assert resource.fields["use_type"].widget.clean("promotion") == "promotion"


def test_the_grade_report_exports_labels_and_imports_back_unchanged(alice, dave, carol):
    course = make_started_course(code="CHUO-GYOSEI", badge_class=make_badge_class(), starts_on=dt.date(2026, 3, 1))
    make_enrolment(staff=alice, course=course, state="completed", grade="優", completed_on=dt.date(2026, 3, 10))
    make_enrolment(staff=dave, course=course, state="not_completed")
    before = list(Enrolment.objects.order_by("pk").values())
    dataset = GradeReportResource().export()
    assert sorted(dataset["結果"]) == ["修了", "未修了"]
    result = GradeReportResource(actor=carol).import_data(_csv_round_trip(dataset), dry_run=False)
    assert _has_no_errors(result), [(r.errors, r.validation_error) for r in result.rows]
    assert {row.import_type for row in result.rows} == {"skip"}
    assert list(Enrolment.objects.order_by("pk").values()) == before
