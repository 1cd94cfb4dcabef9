"""When each person's badges gave a skill at a level (kept by courses/holdings.py with the skill
holdings): the skill matrix for a past day. The last step fills it from the awards already
there (and the skill holdings, for the first completion), with the SQL of ``courses.holdings``
as it stands at this migration (frozen here: migrations import no app code)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FILL_SKILL_BADGE_SPANS = """
    INSERT INTO "courses_skillbadgespan" (staff_id, skill_id, level, valid_from, valid_until, completed_on)
    SELECT g.p, g.s, g.n, g.since, g.until, h.completed_on
    FROM (
    SELECT i.p, i.s, i.n, MIN(i.since) AS since,
    CASE WHEN COUNT(i.until) < COUNT(*) THEN NULL ELSE MAX(i.until) END AS until
    FROM (
    SELECT m.p, m.s, m.n, m.since, m.until,
    SUM(m.starts) OVER (PARTITION BY m.p, m.s, m.n ORDER BY m.since
    RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS island
    FROM (
    SELECT e.p, e.s, lv.n, e.since, e.until,
    CASE WHEN COUNT(*) OVER w = 0 THEN 1
    WHEN COUNT(*) OVER w > COUNT(e.until) OVER w THEN 0
    WHEN e.since > MAX(e.until) OVER w THEN 1 ELSE 0 END AS starts
    FROM (
    SELECT aw.p, cs.skill_id AS s, cs.level AS lv, aw.since, aw.until
    FROM (
    SELECT a.recipient_id AS p, a.badge_class_id AS b, a.issued_at AS since, CASE WHEN a.status = 'revoked' AND (a.expires_at IS NULL OR a.revoked_at < a.expires_at) THEN a.revoked_at ELSE a.expires_at END AS until
    FROM "badges_award" a
    WHERE a.issued_at IS NOT NULL
    AND (a.status = 'issued' OR (a.status = 'revoked' AND a.revoked_at IS NOT NULL))
    ) aw
    JOIN "courses_course" c ON c.badge_class_id = aw.b
    JOIN "courses_courseskill" cs ON cs.course_id = c.id
    UNION ALL
    SELECT aw.p, cs.skill_id, cs.level, aw.since, aw.until
    FROM (
    SELECT a.recipient_id AS p, a.badge_class_id AS b, a.issued_at AS since, CASE WHEN a.status = 'revoked' AND (a.expires_at IS NULL OR a.revoked_at < a.expires_at) THEN a.revoked_at ELSE a.expires_at END AS until
    FROM "badges_award" a
    WHERE a.issued_at IS NOT NULL
    AND (a.status = 'issued' OR (a.status = 'revoked' AND a.revoked_at IS NOT NULL))
    ) aw
    JOIN "courses_programme" pr ON pr.badge_class_id = aw.b
    JOIN "courses_programme_courses" pc ON pc.programme_id = pr.id
    JOIN "courses_courseskill" cs ON cs.course_id = pc.course_id
    ) e
    JOIN (SELECT 1 AS n UNION ALL SELECT 2 AS n UNION ALL SELECT 3 AS n) lv ON lv.n <= e.lv
    WHERE e.until IS NULL OR e.until > e.since
    WINDOW w AS (PARTITION BY e.p, e.s, lv.n ORDER BY e.since GROUPS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
    ) m
    ) i
    GROUP BY i.p, i.s, i.n, i.island
    ) g
    LEFT JOIN "courses_skillholding" h ON h.staff_id = g.p AND h.skill_id = g.s AND h.level = g.n

"""


class Migration(migrations.Migration):

    dependencies = [
        ('courses', '0004_skill_holdings_and_award_uses'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='SkillBadgeSpan',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('level', models.PositiveSmallIntegerField(choices=[(1, 'Basic'), (2, 'Intermediate'), (3, 'Advanced')])),
                ('valid_from', models.DateTimeField()),
                ('valid_until', models.DateTimeField(null=True)),
                ('completed_on', models.DateField(null=True)),
                ('skill', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='courses.skill')),
                ('staff', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'indexes': [models.Index(fields=['level', 'skill', 'staff', 'valid_from', 'valid_until', 'completed_on'], name='skill_badge_span_matrix_idx')],
            },
        ),
        migrations.RunSQL(FILL_SKILL_BADGE_SPANS, reverse_sql=migrations.RunSQL.noop, elidable=True),
    ]
