from __future__ import annotations

from django.urls import path

from . import views, views_promotion

app_name = "courses"

# Fixed paths first: course codes are capital letters, so they never collide with these.
urlpatterns = [
    path("", views.catalogue, name="catalogue"),
    path("my-learning/", views.my_learning, name="my_learning"),
    path("my-learning/<int:pk>/withdraw/", views.enrolment_withdraw_view, name="withdraw"),
    path("my-learning/<int:pk>/calendar.ics", views.enrolment_calendar, name="calendar"),
    # A staff member's own 昇任選考 points (courses/promotion/).
    path("my-promotion/", views_promotion.my_points, name="my_promotion"),
    path("approvals/", views.approvals, name="approvals"),
    path("approvals/<int:pk>/decide/", views.approval_decide, name="decide"),
    path("approvals/recommend/", views.approvals_recommend_many, name="recommend_many"),
    path("<slug:code>/", views.course_detail, name="detail"),
    path("<slug:code>/request/", views.course_request, name="request"),
]
