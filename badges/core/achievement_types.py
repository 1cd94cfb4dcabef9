"""What kind of achievement a badge class certifies: OB 3.0 ``achievementType``.

Wallets show it ("Course", "Learning program"). The badges app knows nothing of courses, so it
cannot tell a course badge from a programme badge by itself: the app that awards a badge class
says what it is for by registering a resolver (courses does, in its ``AppConfig.ready``). A
badge class no resolver knows is a plain ``Achievement`` (the enumeration's generic value).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

#: The enumeration's generic value, for badge classes no resolver knows.
DEFAULT = "Achievement"

#: badge class ids → {badge class id: AchievementType} for those the resolver knows.
Resolver = Callable[[Collection[int]], Mapping[int, str]]

_resolvers: list[Resolver] = []


def register(resolver: Resolver) -> None:
    """Add ``resolver`` (once: ``AppConfig.ready`` may run more than once in tests)."""
    if resolver not in _resolvers:
        _resolvers.append(resolver)


def achievement_types(badge_class_ids: Collection[int]) -> dict[int, str]:
    """The AchievementType of each badge class, for a whole issuing batch at once."""
    found: dict[int, str] = {}
    ids = set(badge_class_ids)
    for resolver in _resolvers:
        for pk, value in resolver(ids - set(found)).items():
            found.setdefault(pk, value)
    return {pk: found.get(pk, DEFAULT) for pk in ids}


def achievement_type(badge_class_id: int) -> str:
    return achievement_types([badge_class_id])[badge_class_id]
