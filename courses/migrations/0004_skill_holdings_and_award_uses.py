"""Two tables derived from completions and awards for HR insight (kept by courses/holdings.py):
skill holdings (the skill matrix) and what each issued badge was issued for (the dashboard's
badges by use type). The last step fills both from the data already there, with the SQL of
``courses.holdings`` as it stands at this migration (frozen here: migrations import no app code).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL_SKILL_HOLDINGS = """
INSERT INTO courses_skillholding (staff_id, skill_id, level, completed_on, badge_since, badge_until)
SELECT e.p, e.s, lv.n, MIN(e.done), MIN(e.since),
       CASE WHEN MAX(CASE WHEN e.since IS NOT NULL AND e.until IS NULL THEN 1 ELSE 0 END) = 1
            THEN NULL ELSE MAX(e.until) END
  FROM (
    SELECT en.staff_id AS p, cs.skill_id AS s, cs.level AS lv,
           en.completed_on AS done, NULL AS since, NULL AS until
      FROM courses_enrolment en JOIN courses_courseskill cs ON cs.course_id = en.course_id
     WHERE en.state = 'completed'
    UNION ALL
    SELECT a.recipient_id, cs.skill_id, cs.level, NULL, a.issued_at, a.expires_at
      FROM badges_award a
      JOIN courses_course c ON c.badge_class_id = a.badge_class_id
      JOIN courses_courseskill cs ON cs.course_id = c.id
     WHERE a.status = 'issued' AND a.issued_at IS NOT NULL
    UNION ALL
    SELECT a.recipient_id, cs.skill_id, cs.level, NULL, a.issued_at, a.expires_at
      FROM badges_award a
      JOIN courses_programme pr ON pr.badge_class_id = a.badge_class_id
      JOIN courses_programme_courses pc ON pc.programme_id = pr.id
      JOIN courses_courseskill cs ON cs.course_id = pc.course_id
     WHERE a.status = 'issued' AND a.issued_at IS NOT NULL
  ) e
  JOIN (SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n) lv ON lv.n <= e.lv
 GROUP BY e.p, e.s, lv.n
"""

FILL_AWARD_USES = """
INSERT INTO courses_awarduse (award_id, recipient_id, issued_at, kind)
SELECT a.id, a.recipient_id, a.issued_at,
       CASE WHEN SUBSTR(a.source_key, 1, 10) = 'programme:' THEN 'programme'
            WHEN e.use_type IN ('self_development', 'promotion') THEN e.use_type
            ELSE 'other' END
  FROM badges_award a
  LEFT JOIN courses_enrolment e
    ON e.id = CASE WHEN SUBSTR(a.source_key, 1, 10) = 'enrolment:'
                   THEN CAST(SUBSTR(a.source_key, 11) AS BIGINT) END
 WHERE a.status IN ('issued', 'revoked') AND a.issued_at IS NOT NULL
"""


class Migration(migrations.Migration):
    dependencies = [
        ("badges", "0005_hr_insight_award_issued_index"),
        ("courses", "0003_hr_insight_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="AwardUse",
            fields=[
                (
                    "award",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="badges.award",
                    ),
                ),
                ("issued_at", models.DateTimeField()),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("self_development", "Self-development (自己啓発型)"),
                            (
                                "promotion",
                                "Evidence for promotion selection (昇任選考活用型)",
                            ),
                            ("programme", "Programme badge (several courses)"),
                            ("other", "Other source"),
                        ],
                        max_length=20,
                    ),
                ),
                (
                    "recipient",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["issued_at", "recipient", "kind"],
                        name="award_use_issued_idx",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="SkillHolding",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "level",
                    models.PositiveSmallIntegerField(
                        choices=[(1, "Basic"), (2, "Intermediate"), (3, "Advanced")]
                    ),
                ),
                ("completed_on", models.DateField(null=True)),
                ("badge_since", models.DateTimeField(null=True)),
                ("badge_until", models.DateTimeField(null=True)),
                (
                    "skill",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="courses.skill",
                    ),
                ),
                (
                    "staff",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=[
                            "level",
                            "skill",
                            "staff",
                            "completed_on",
                            "badge_since",
                            "badge_until",
                        ],
                        name="skill_holding_matrix_idx",
                    )
                ],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("staff", "skill", "level"), name="skill_holding_once"
                    )
                ],
            },
        ),
        migrations.RunSQL(
            FILL_SKILL_HOLDINGS, reverse_sql=migrations.RunSQL.noop, elidable=True
        ),
        migrations.RunSQL(
            FILL_AWARD_USES, reverse_sql=migrations.RunSQL.noop, elidable=True
        ),
    ]
