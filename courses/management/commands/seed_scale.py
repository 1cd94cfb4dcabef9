"""Generate a data set at the scale of Tokyo's 23 wards, for benchmarks (not a fixture, not the demo).

    manage.py seed_scale --staff 60000 --courses 2000 --enrolments 600000 --awards 300000 [--seed 1]

Deterministic for a given ``--seed`` (names, dates, states, even the UUIDs). Rows are written with
``bulk_create`` in batches, bypassing the services on purpose: the services' rules (one request at
a time, emails, badge signing) are what the rest of the test suite checks; this command only needs
rows that look like years of real use, fast. In particular:

* awards are written directly as issued rows (``status``, ``issued_at``, ``expires_at``) with
  ``source_key`` as the courses service writes it (``enrolment:<pk>``, ``programme:<pk>:staff:<pk>``),
  **without signing or baking**: the benchmark measures queries;
* no enrolment history (``EnrolmentEvent``) and no login accounts are created for these people;
* seat limits are not enforced (waiting lists exist where courses have a capacity);
* the tables derived from completions and awards (``courses.holdings``: skill holdings, badge
  uses) are computed at the end, one statement each.

It refuses a database that already holds more than demo data, unless ``--force``.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections import defaultdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from badges.keys import default_issuer
from badges.models import Award, BadgeClass
from courses.holdings import award_uses_rebuild, skill_holdings_rebuild
from courses.learning import learning_years_rebuild
from courses.models import Course, CourseSkill, Enrolment, Programme, Provider, Skill
from staff.demo import FAMILY, GIVEN
from staff.models import Assignment, Department, StaffMember

DEMO_LIMITS = {"staff": 5_000, "enrolments": 50_000, "awards": 50_000}
EMAIL_DOMAIN = "scale.city.test"
UNUSABLE_PASSWORD = "!"  # noqa: S105 - Django's "no password" marker: nobody signs in as these people

# 部 (division): name, English name, stem for section names.
DIVISIONS = [
    ("総務部", "General Affairs Department", "総務"),
    ("財務部", "Finance Department", "財務"),
    ("市民活動推進部", "Civic Activities Department", "市民活動"),
    ("福祉部", "Welfare Department", "福祉"),
    ("健康医療部", "Health and Medical Department", "健康"),
    ("子ども家庭部", "Children and Families Department", "子育て"),
    ("都市計画部", "City Planning Department", "都市計画"),
    ("生活安全部", "Community Safety Department", "防災"),
    ("環境部", "Environment Department", "環境"),
    ("産業振興部", "Industry Promotion Department", "産業"),
    ("農林部", "Agriculture and Forestry Department", "農林"),
    ("資産税部", "Property Tax Department", "資産税"),
    ("道路交通部", "Roads and Transport Department", "道路"),
    ("水循環部", "Water Cycle Department", "水循環"),
    ("まちなみ整備部", "Townscape Department", "まちなみ"),
    ("拠点整備部", "Urban Centres Department", "拠点"),
    ("資源循環部", "Resource Recycling Department", "資源"),
    ("文化財部", "Cultural Heritage Department", "文化"),
    ("学校教育部", "School Education Department", "学校"),
    ("生涯学習スポーツ部", "Lifelong Learning and Sports Department", "生涯学習"),
    ("会計部", "Accounting Department", "会計"),
    ("議会事務局", "City Council Secretariat", "議事"),
    ("選挙管理委員会事務局", "Election Commission Secretariat", "選挙"),
    ("監査事務局", "Audit Secretariat", "監査"),
    ("市長公室", "Mayor's Office", "政策"),
]
SECTIONS = ["企画", "管理", "推進", "支援", "調整", "事業"]
UNITS = ["庶務", "第一", "第二"]

SKILLS = [
    ("DATA", "データ活用", "Data literacy"),
    ("DX", "デジタル・DX", "Digital transformation"),
    ("LAW", "法務", "Legal affairs"),
    ("BOSAI", "防災・危機管理", "Disaster management"),
    ("WELFARE", "福祉", "Welfare"),
    ("FINANCE", "財務・会計", "Finance and accounting"),
    ("POLICY", "政策立案", "Policy making"),
    ("COMMS", "広報・コミュニケーション", "Public relations"),
    ("MGMT", "マネジメント", "Management"),
    ("PPP", "公民連携", "Public-private partnership"),
    ("INTL", "多文化共生", "Multicultural coexistence"),
    ("HEALTH", "保健・健康", "Public health"),
    ("CHILD", "子育て支援", "Childcare support"),
    ("ENV", "環境", "Environment"),
    ("URBAN", "まちづくり", "Urban development"),
]
PROVIDERS = [
    (
        "CHUO-LAW",
        "中央大学法学部 通信教育課程",
        "Chuo University Faculty of Law (correspondence)",
        "chuo_correspondence",
        6,
    ),
    ("CHUO-OPEN", "中央大学 公開講座", "Chuo University open lectures", "chuo_open_lecture", 4),
    ("CITY", "八王子市 職員研修", "Hachioji City staff training", "city", 8),
    ("TOKYO-ACADEMY", "東京都市町村職員研修所", "Tokyo Municipal Staff Training Institute", "city", 4),
    ("ELEARN", "自治体eラーニング", "Municipal e-learning", "elearning", 5),
    ("TMU", "東京都立大学 公開講座", "Tokyo Metropolitan University open courses", "university", 2),
    ("HOSEI", "法政大学 公開講座", "Hosei University open courses", "university", 1),
]
LEVEL_WORDS = [("入門", 1), ("基礎", 1), ("実践", 2), ("演習", 2), ("応用", 3)]
GRADES = [("shuji", 40), ("shunin", 25), ("kakaricho", 15), ("kacho_hosa", 8), ("kacho", 7), ("jicho", 3), ("bucho", 2)]
JOB_FAMILIES = [
    ("administrative", 55),
    ("technical", 18),
    ("welfare", 10),
    ("health", 6),
    ("childcare", 7),
    ("other", 4),
]


def _weighted(rng: random.Random, pairs: list[tuple[str, int]]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


class Command(BaseCommand):
    help = "Generate a large, deterministic data set for the HR insight benchmarks (see docs/benchmarks.md)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--staff", type=int, default=60_000)
        parser.add_argument("--courses", type=int, default=2_000)
        parser.add_argument("--enrolments", type=int, default=600_000)
        parser.add_argument("--awards", type=int, default=300_000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch", type=int, default=5_000)
        parser.add_argument("--force", action="store_true", help="Run even on a database with more than demo data.")

    def handle(self, *args: Any, **o: Any) -> None:
        self._guard(force=o["force"])
        self.rng = random.Random(o["seed"])
        self.batch = o["batch"]
        self.today = timezone.localdate()
        self.tz = timezone.get_current_timezone()
        started = time.monotonic()
        with transaction.atomic():
            self._step("departments", self._departments)
            self._step("skills, providers", self._catalogue_basics)
            self._step(f"{o['courses']:,} courses", lambda: self._courses(o["courses"]))
            self._step(f"{o['staff']:,} staff", lambda: self._staff(o["staff"]))
            self._step(f"{o['enrolments']:,} enrolments", lambda: self._enrolments(o["enrolments"]))
            self._step(f"{o['awards']:,} awards", lambda: self._awards(o["awards"]))
            # The rows above bypass the services that keep the holdings: compute them in one go.
            self._step("skill holdings", skill_holdings_rebuild)
            self._step("badge uses", award_uses_rebuild)
            self._step("learning per person and fiscal year", learning_years_rebuild)
        if connection.vendor == "postgresql":
            # VACUUM too, not only ANALYZE: freshly loaded pages have no visibility map yet, and
            # without it PostgreSQL cannot answer from an index alone (what autovacuum does later).
            # (Inside someone else's transaction, e.g. a test, VACUUM is not allowed: ANALYZE only.)
            statement = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
            self._step(statement, lambda: connection.cursor().execute(statement))
        self.stdout.write(self.style.SUCCESS(f"Done in {time.monotonic() - started:.0f} s."))

    # --- helpers --------------------------------------------------------------------------

    def _guard(self, *, force: bool) -> None:
        if StaffMember.objects.filter(email__endswith="@" + EMAIL_DOMAIN).exists():
            raise CommandError("This database already holds a scale data set: use a fresh database.")
        counts = {
            "staff": StaffMember.objects.count(),
            "enrolments": Enrolment.objects.count(),
            "awards": Award.objects.count(),
        }
        over = {k: v for k, v in counts.items() if v > DEMO_LIMITS[k]}
        if over and not force:
            raise CommandError(
                f"This database holds more than demo data ({over}); refusing to add a scale data set. "
                "Use a database of its own (see docs/benchmarks.md), or --force."
            )

    def _step(self, label: str, fn: Any) -> None:
        t = time.monotonic()
        fn()
        self.stdout.write(f"  {label}: {time.monotonic() - t:.1f} s")

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _at(self, day: dt.date, hour: int = 10) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, self.rng.randrange(60))), self.tz)

    def _bulk(self, model: Any, objs: list[Any]) -> list[Any]:
        return model.objects.bulk_create(objs, batch_size=self.batch)

    # --- organisation ---------------------------------------------------------------------

    def _departments(self) -> None:
        self.divisions: list[Department] = []
        self.leaves: list[Department] = []
        for i, (name, name_en, stem) in enumerate(DIVISIONS, start=1):
            division = Department.objects.filter(level="division", name=name).first()
            if division is None:
                division = Department(code=f"S{i:02d}", name=name, name_en=name_en, level="division")
                division.save()
            self.divisions.append(division)
            for j, section_stem in enumerate(SECTIONS, start=1):
                section = Department(
                    code=f"S{i:02d}{j:02d}",
                    name=f"{stem}{section_stem}課",
                    level="section",
                    parent=division,
                )
                section.save()
                self.leaves.append(section)
                for k, unit_stem in enumerate(UNITS, start=1):
                    unit = Department(
                        code=f"S{i:02d}{j:02d}{k:02d}", name=f"{unit_stem}係", level="unit", parent=section
                    )
                    unit.save()
                    self.leaves.append(unit)

    def _catalogue_basics(self) -> None:
        self.skills = []
        for order, (code, name, name_en) in enumerate(SKILLS, start=1):
            skill, _ = Skill.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "sort_order": order}
            )
            self.skills.append(skill)
        self.providers = []
        self.provider_weights = []
        for code, name, name_en, kind, weight in PROVIDERS:
            provider, _ = Provider.objects.get_or_create(
                code=code, defaults={"name": name, "name_en": name_en, "kind": kind}
            )
            self.providers.append(provider)
            self.provider_weights.append(weight)
        self.issuer = default_issuer()

    # --- catalogue ------------------------------------------------------------------------

    def _courses(self, n: int) -> None:
        rng = self.rng
        span_start = self.today - dt.timedelta(days=5 * 365)
        span_days = 5 * 365 + 180
        courses, badges, plans = [], [], []
        for i in range(1, n + 1):
            skill = rng.choice(self.skills)
            word, level = rng.choice(LEVEL_WORDS)
            starts = span_start + dt.timedelta(days=rng.randrange(span_days))
            fy = starts.year if starts.month >= 4 else starts.year - 1
            provider = rng.choices(self.providers, weights=self.provider_weights)[0]
            title = f"{skill.name}{word}（{fy}年度 {'前期' if starts.month in range(4, 10) else '後期'}）"
            cost = rng.choice([0, 5000, 12000, 30000, 45000, 60000])
            badge = None
            if rng.random() < 0.9:
                badge = BadgeClass(
                    public_id=self._uuid(),
                    issuer=self.issuer,
                    name=f"{skill.name}{word} 修了",
                    description=f"{title}を修了した。",
                    criteria="講座の全課程を修了すること。",
                    design=rng.choice(["blue", "green", "orange", "red"]),
                    alignments=[
                        {
                            "targetName": skill.name,
                            "targetCode": skill.code,
                            "targetFramework": "八王子市職員スキル体系",
                        }
                    ],
                    validity_days=rng.choice([None, None, 1095]),
                    hours=rng.choice([6, 12, 24, 45]),
                )
                badges.append(badge)
            courses.append(
                Course(
                    code=f"SC{i:05d}",
                    title=title,
                    description=f"{skill.name}を{word}レベルで学ぶ。",
                    provider=provider,
                    delivery=rng.choice(["correspondence", "online", "classroom"]),
                    term=f"{fy}年度",
                    starts_on=starts,
                    ends_on=starts + dt.timedelta(days=rng.choice([1, 2, 30, 60, 120, 180])),
                    hours=rng.choice([3, 6, 12, 24, 45]),
                    capacity=rng.choice([None, None, None, 20, 30, 40, 60]),
                    application_opens_on=starts - dt.timedelta(days=60),
                    application_closes_on=starts - dt.timedelta(days=14),
                    cost=cost,
                    city_subsidy=cost * rng.choice([5, 7, 10]) // 10 // 1000 * 1000,
                    for_self_development=True,
                    for_promotion=rng.random() < 0.4,
                    badge_class=badge,
                )
            )
            extra = rng.sample([s for s in self.skills if s.pk != skill.pk], rng.choice([0, 1, 1, 2]))
            plans.append([(skill, level), *[(s, 1) for s in extra]])
        self._bulk(BadgeClass, badges)
        for c in courses:
            c.badge_class_id = c.badge_class.pk if c.badge_class else None
        self.courses = self._bulk(Course, courses)
        self._bulk(
            CourseSkill,
            [
                CourseSkill(course=c, skill=s, level=lvl)
                for c, plan in zip(self.courses, plans, strict=True)
                for s, lvl in plan
            ],
        )
        # Programmes: three courses of one skill, with a badge of their own.
        by_skill: dict[int, list[Course]] = defaultdict(list)
        for c, plan in zip(self.courses, plans, strict=True):
            by_skill[plan[0][0].pk].append(c)
        programmes, programme_badges, members = [], [], []
        for k in range(1, max(n // 20, 1) + 1):
            skill = self.skills[k % len(self.skills)]
            pool = by_skill.get(skill.pk, [])
            if len(pool) < 3:
                continue
            badge = BadgeClass(
                public_id=self._uuid(),
                issuer=self.issuer,
                name=f"{skill.name}プログラム {k}",
                description=f"{skill.name}の所定のプログラムを修了した。",
                criteria="プログラムのすべての講座を修了すること。",
                design="purple",
            )
            programme_badges.append(badge)
            programmes.append(Programme(code=f"SP{k:04d}", name=f"{skill.name}プログラム {k}", badge_class=badge))
            members.append(rng.sample(pool, 3))
        self._bulk(BadgeClass, programme_badges)
        for p in programmes:
            p.badge_class_id = p.badge_class.pk if p.badge_class else None
        self.programmes = self._bulk(Programme, programmes)
        self.programme_courses = members
        through = Programme.courses.through
        self._bulk(
            through,
            [
                through(programme_id=p.pk, course_id=c.pk)
                for p, cs in zip(self.programmes, members, strict=True)
                for c in cs
            ],
        )

    # --- people ---------------------------------------------------------------------------

    def _staff(self, n: int) -> None:
        rng = self.rng
        people = []
        for i in range(1, n + 1):
            family, family_kana = rng.choice(FAMILY)
            given, given_kana = rng.choice(GIVEN)
            people.append(
                StaffMember(
                    employee_number=f"8{i:07d}",
                    email=f"s{i:06d}@{EMAIL_DOMAIN}",
                    password=UNUSABLE_PASSWORD,
                    family_name=family,
                    given_name=given,
                    family_name_kana=family_kana,
                    given_name_kana=given_kana,
                    department=rng.choice(self.leaves),
                    grade=_weighted(rng, GRADES),
                    job_family=_weighted(rng, JOB_FAMILIES),
                    employment_type="fiscal_year" if rng.random() < 0.15 else "regular",
                    date_joined=self._at(self.today - dt.timedelta(days=rng.randrange(30, 12000))),
                )
            )
        self.staff = self._bulk(StaffMember, people)
        assignments = []
        for p in self.staff:
            since = dt.date(self.today.year - rng.randrange(0, 4), 4, 1)
            if rng.random() < 0.4:
                before = dt.date(since.year - rng.randrange(2, 5), 4, 1)
                assignments.append(
                    Assignment(
                        staff=p,
                        department=rng.choice(self.leaves),
                        grade=p.grade,
                        job_family=p.job_family,
                        valid_from=before,
                        valid_to=since,
                    )
                )
            assignments.append(
                Assignment(
                    staff=p, department_id=p.department_id, grade=p.grade, job_family=p.job_family, valid_from=since
                )
            )
        self._bulk(Assignment, assignments)

    def _state_for(self, course: Course) -> str:
        r = self.rng.random()
        starts, ends = course.starts_on or self.today, course.ends_on or self.today
        if ends < self.today:
            return "completed" if r < 0.72 else "not_completed" if r < 0.80 else "rejected" if r < 0.88 else "withdrawn"
        if starts <= self.today:
            return "approved" if r < 0.8 else "withdrawn" if r < 0.9 else "rejected"
        if r < 0.3:
            return "requested"
        if r < 0.5:
            return "recommended"
        if r < 0.8 or course.capacity is None:
            return "approved" if r < 0.9 else "rejected"
        return "waitlisted" if r < 0.95 else "withdrawn"

    def _enrolments(self, n: int) -> None:
        rng = self.rng
        seen: set[tuple[int, int]] = set()
        pairs: list[tuple[StaffMember, Course]] = []
        # About one in twenty people follow a whole programme (so programme badges exist).
        for courses in self.programme_courses:
            for person in rng.sample(self.staff, min(len(self.staff), max(1, n // 2000))):
                for course in courses:
                    if (person.pk, course.pk) not in seen and len(pairs) < n:
                        seen.add((person.pk, course.pk))
                        pairs.append((person, course))
        while len(pairs) < n:
            person, course = rng.choice(self.staff), rng.choice(self.courses)
            if (person.pk, course.pk) not in seen:
                seen.add((person.pk, course.pk))
                pairs.append((person, course))
        rows = []
        for person, course in pairs:
            state = self._state_for(course)
            opens, ends = course.application_opens_on or self.today, course.ends_on or self.today
            requested = self._at(opens + dt.timedelta(days=rng.randrange(40)), 9)
            decided = requested + dt.timedelta(days=rng.randrange(3, 20)) if state not in ("requested",) else None
            rows.append(
                Enrolment(
                    staff=person,
                    course=course,
                    use_type="promotion" if course.for_promotion and rng.random() < 0.5 else "self_development",
                    reason="業務に活かすため",
                    state=state,
                    cost=course.cost,
                    city_subsidy=course.city_subsidy,
                    staff_share=course.cost - course.city_subsidy,
                    grade=rng.choice(["優", "良", "可", "A", "B", "合格"]) if state == "completed" else "",
                    # Never in the future (enrolment_complete refuses that): the result comes in
                    # up to two weeks after the end, but by today at the latest.
                    completed_on=min(ends + dt.timedelta(days=rng.randrange(15)), self.today)
                    if state == "completed"
                    else None,
                    requested_at=requested,
                    recommended_at=requested + dt.timedelta(days=rng.randrange(1, 5)) if state != "requested" else None,
                    decided_at=decided if state not in ("requested", "recommended") else None,
                )
            )
            if len(rows) >= self.batch:
                self._bulk(Enrolment, rows)
                self._note_completions(rows)
                rows = []
        self._bulk(Enrolment, rows)
        self._note_completions(rows)

    def _note_completions(self, rows: list[Enrolment]) -> None:
        if not hasattr(self, "completions"):
            self.completions: list[tuple[int, Course, dt.date, int]] = []
        self.completions += [(e.staff_id, e.course, e.completed_on, e.pk) for e in rows if e.state == "completed"]  # type: ignore[misc]

    # --- awards ---------------------------------------------------------------------------

    def _awards(self, n: int) -> None:
        rng = self.rng
        badge_by_id = {
            b.pk: b for b in BadgeClass.objects.filter(pk__in={c.badge_class_id for c in self.courses} - {None})
        }
        # (recipient, badge class, completed on, source key as the courses service writes it)
        wanted: list[tuple[int, int, dt.date, str]] = []
        done_by_person: dict[int, dict[int, dt.date]] = defaultdict(dict)
        for staff_id, course, day, enrolment_pk in self.completions:
            done_by_person[staff_id][course.pk] = day
            if course.badge_class_id:
                wanted.append((staff_id, course.badge_class_id, day, f"enrolment:{enrolment_pk}"))
        for programme, courses in zip(self.programmes, self.programme_courses, strict=True):
            for staff_id, done in done_by_person.items():
                days = [done.get(c.pk) for c in courses]
                if all(days):
                    key = f"programme:{programme.pk}:staff:{staff_id}"
                    wanted.append((staff_id, programme.badge_class_id, max(days), key))  # type: ignore[arg-type, type-var]
        rng.shuffle(wanted)
        wanted = wanted[:n]
        if len(wanted) < n:
            self.stdout.write(
                self.style.WARNING(f"  only {len(wanted):,} completions with a badge: {len(wanted):,} awards")
            )
        rows = []
        now = timezone.now()
        for staff_id, badge_id, day, source_key in wanted:
            # A few days after the completion, and never later than now (the worker stamps the
            # moment it issues; the skill holdings rely on no badge being issued in the future).
            issued = min(self._at(day + dt.timedelta(days=rng.randrange(1, 14)), 11), now)
            badge = badge_by_id.get(badge_id)
            validity = badge.validity_days if badge else None
            revoked = rng.random() < 0.01
            rows.append(
                Award(
                    public_id=self._uuid(),
                    share_token=self._uuid(),
                    recipient_id=staff_id,
                    badge_class_id=badge_id,
                    issuer=self.issuer,
                    source_key=source_key,
                    achieved_on=day,
                    status="revoked" if revoked else "issued",
                    requested_at=issued - dt.timedelta(hours=1),
                    issued_at=issued,
                    expires_at=issued + dt.timedelta(days=validity) if validity else None,
                    revoked_at=min(issued + dt.timedelta(days=rng.randrange(1, 200)), now) if revoked else None,
                    revocation_reason="成績の訂正" if revoked else "",
                )
            )
            if len(rows) >= self.batch:
                self._bulk(Award, rows)
                rows = []
        self._bulk(Award, rows)
