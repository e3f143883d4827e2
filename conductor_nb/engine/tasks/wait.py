"""WAIT (until a duration passes, a date arrives, or a signal or update completes it) and HUMAN."""

from __future__ import annotations

import datetime
import re
from typing import Optional

from ...models import Task, TaskResult, TaskStatus
from .base import TaskKind, complete, result_for

_DURATION = re.compile(
    r"\s*(?:(\d+)\s*(?:days?|d))?\s*(?:(\d+)\s*(?:hours?|hrs?|h))?\s*(?:(\d+)\s*(?:minutes?|mins?|m))?"
    r"\s*(?:(\d+)\s*(?:seconds?|secs?|s))?\s*", re.IGNORECASE)
_UNTIL_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%d")


def parse_duration(text: str) -> int:
    """'1d 2h', '2 seconds', '1 days 2 hours' -> seconds (units in the order days, hours, minutes, seconds)."""
    match = _DURATION.fullmatch(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"Not a valid duration: '{text}' (examples: '30s', '2 minutes', '1d 2h 3m 4s')")
    days, hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def parse_until(text: str) -> int:
    """'yyyy-MM-dd HH:mm', 'yyyy-MM-dd HH:mm z' or 'yyyy-MM-dd' (local time unless a zone is given) -> epoch ms."""
    text = (text or "").strip()
    zone: Optional[datetime.tzinfo] = None
    parts = text.rsplit(" ", 1)
    if len(parts) == 2 and re.fullmatch(r"\d{1,2}:\d{2}", parts[0][-5:].strip()) and not parts[1][0].isdigit():
        text, zone = parts[0], _zone(parts[1])
    for fmt in _UNTIL_FORMATS:
        try:
            moment = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
        return int(moment.timestamp() * 1000)
    raise ValueError(f"Not a valid date: '{text}' (formats: yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z, yyyy-MM-dd)")


def _zone(name: str) -> datetime.tzinfo:
    if name.upper() in ("UTC", "GMT", "Z"):
        return datetime.timezone.utc
    offset = re.fullmatch(r"([+-])(\d{2}):?(\d{2})", name)
    if offset:
        sign = 1 if offset.group(1) == "+" else -1
        return datetime.timezone(sign * datetime.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3))))
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone '{name}'") from None


class Wait(TaskKind):
    type_name = "WAIT"
    runs_in_background = True  # only to wake it at its time

    def start(self, ctx, task: Task) -> None:
        task.start_time = ctx.now
        try:
            wake = self.wake_at(task)
        except ValueError as e:
            complete(task, status=TaskStatus.FAILED_WITH_TERMINAL_ERROR.value, reason=str(e))
            task.end_time = ctx.now
            return
        task.status = TaskStatus.IN_PROGRESS.value
        if wake is not None:
            task.callback_after_seconds = max(0, (wake - ctx.now + 999) // 1000)

    @staticmethod
    def wake_at(task: Task) -> Optional[int]:
        """The epoch ms at which the WAIT completes by itself, or None to wait for a signal."""
        duration, until = task.input_data.get("duration"), task.input_data.get("until")
        if duration and until:
            raise ValueError("Both 'duration' and 'until' specified. Please provide only one input")
        if duration:
            return task.start_time + parse_duration(str(duration)) * 1000
        if until:
            return parse_until(str(until))
        return None

    def background_at(self, task: Task) -> Optional[int]:
        return self.wake_at(task) if task.status == TaskStatus.IN_PROGRESS.value else None

    def run(self, task: Task) -> TaskResult:
        return result_for(task, TaskStatus.COMPLETED.value, output=task.output_data)

    def is_blocking(self, task: Task) -> bool:
        """A WAIT for a signal (no duration, no until): a sync execute returns while it waits."""
        return task.status == TaskStatus.IN_PROGRESS.value and self.background_at(task) is None


class Human(TaskKind):
    """HUMAN: in progress until someone updates it."""

    type_name = "HUMAN"

    def start(self, ctx, task: Task) -> None:
        task.status = TaskStatus.IN_PROGRESS.value
        task.start_time = ctx.now
