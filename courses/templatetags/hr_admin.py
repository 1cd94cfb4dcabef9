"""The admin index's to-do for HR (templates/admin/index.html)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import TodoItem, hr_todo

register = template.Library()


@register.simple_tag(takes_context=True)
def hr_todo_items(context: dict[str, Any]) -> list[TodoItem]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    return hr_todo(user=request.user)
