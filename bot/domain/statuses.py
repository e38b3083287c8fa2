"""An assignment's states, in lifecycle order."""

from enum import StrEnum


class Status(StrEnum):
    """An assignment's status. A StrEnum: equal to its stored string, so rows and literals compare."""

    DRAFT = "draft"
    ASSIGNED = "assigned"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    CLAIMED_DONE = "claimed_done"
    DONE = "done"
    RETURNED = "returned"
    EXTENDED = "extended"
    CANCELLED = "cancelled"


STATUSES: tuple[str, ...] = tuple(Status)
