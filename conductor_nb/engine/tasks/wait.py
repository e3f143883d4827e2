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


# Conductor parses `until` with commons-lang3's DateUtils (DateTimeUtils.parseDate), whose `z` accepts, in any case,
# an offset (+0530, +05:30, GMT+5:30) or a zone's English display name. An abbreviation stands for a fixed offset:
# PST is UTC-8 even in July (PDT is UTC-7), as the parser sets the zone's DST offset from the name.
_ABBREVIATIONS = {  # minutes east of UTC
    "UTC": 0, "UT": 0, "GMT": 0, "Z": 0, "WET": 0, "WEST": 60, "BST": 60, "CET": 60, "CEST": 120, "MET": 60,
    "MEST": 120, "WAT": 60, "EET": 120, "EEST": 180, "CAT": 120, "SAST": 120, "EAT": 180, "MSK": 180,
    "PKT": 300, "IST": 330, "NPT": 345, "ICT": 420, "WIB": 420, "HKT": 480, "SGT": 480, "AWST": 480, "JST": 540,
    "KST": 540, "ACST": 570, "ACDT": 630, "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780, "HST": -600,
    "HDT": -540, "AKST": -540, "AKDT": -480, "PST": -480, "PDT": -420, "MST": -420, "MDT": -360, "CST": -360,
    "CDT": -300, "EST": -300, "EDT": -240, "AST": -240, "ADT": -180, "NST": -210, "NDT": -150, "ART": -180,
    "BRT": -180,
}
# The rest of Java's ZoneId.SHORT_IDS (three-letter ids, also TimeZone ids): a region each, its DST by the date.
_SHORT_IDS = {
    "ACT": "Australia/Darwin", "AET": "Australia/Sydney", "AGT": "America/Argentina/Buenos_Aires",
    "BET": "America/Sao_Paulo", "CNT": "America/St_Johns", "CTT": "Asia/Shanghai", "ECT": "Europe/Paris",
    "IET": "America/Indiana/Indianapolis", "MIT": "Pacific/Apia", "NET": "Asia/Yerevan", "PLT": "Asia/Karachi",
    "PNT": "America/Phoenix", "PRT": "America/Puerto_Rico", "SST": "Pacific/Guadalcanal", "VST": "Asia/Ho_Chi_Minh",
}
_OFFSET = re.compile(r"(?:GMT|UTC|UT)?([+-])(\d{1,2})(?::?(\d{2}))?", re.IGNORECASE)


def _zone(name: str) -> datetime.tzinfo:
    """A zone as `until` names it: an offset (+0530, +05:30, GMT+05:30, UTC-8), an abbreviation (PST, IST, CEST),
    one of Java's other short ids (AET, CTT) or a region (America/New_York)."""
    minutes = _ABBREVIATIONS.get(name.upper())
    if minutes is None and (offset := _OFFSET.fullmatch(name)):
        hours, extra = int(offset.group(2)), int(offset.group(3) or 0)
        bare = not name[0].isalpha()
        if hours > 18 or extra > 59 or (bare and (len(offset.group(2)) != 2 or offset.group(3) is None)):
            raise ValueError(f"Unknown time zone '{name}'")
        minutes = (1 if offset.group(1) == "+" else -1) * (hours * 60 + extra)
    if minutes is not None:
        return datetime.timezone(datetime.timedelta(minutes=minutes)) if minutes else datetime.timezone.utc
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(_SHORT_IDS.get(name.upper(), name))
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
