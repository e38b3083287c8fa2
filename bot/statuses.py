"""An assignment's states, in lifecycle order (brief: "An assignment's life")."""

STATUSES: tuple[str, ...] = (
    "draft",
    "assigned",
    "acknowledged",
    "in_progress",
    "blocked",
    "claimed_done",
    "done",
    "returned",
    "extended",
    "cancelled",
)
