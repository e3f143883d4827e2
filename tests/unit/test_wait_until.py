"""WAIT's `until` as Conductor parses it (DateTimeUtils.parseDate: commons-lang3's DateUtils with the patterns
yyyy-MM-dd HH:mm, yyyy-MM-dd HH:mm z and yyyy-MM-dd), zones in every form its `z` accepts."""

import datetime

import pytest

from conductor_nb.engine.tasks.wait import parse_until


def utc(text):
    return int(datetime.datetime.fromisoformat(text).replace(tzinfo=datetime.timezone.utc).timestamp() * 1000)


ZONES = [
    ("2024-12-25 05:25 PST", "2024-12-25 13:25"),  # the official SDK's WaitUntilTask example
    ("2024-07-04 05:25 PST", "2024-07-04 13:25"),  # an abbreviation is a fixed offset: PST is UTC-8 in July too
    ("2024-07-04 05:25 PDT", "2024-07-04 12:25"),
    ("2024-12-25 05:25 pst", "2024-12-25 13:25"),  # any case
    ("2024-12-25 05:25 EST", "2024-12-25 10:25"),
    ("2024-07-04 05:25 EDT", "2024-07-04 09:25"),
    ("2024-12-25 05:25 CST", "2024-12-25 11:25"),
    ("2024-12-25 05:25 MST", "2024-12-25 12:25"),
    ("2024-12-25 05:25 HST", "2024-12-25 15:25"),
    ("2024-12-25 05:25 IST", "2024-12-24 23:55"),
    ("2024-12-25 05:25 JST", "2024-12-24 20:25"),
    ("2024-12-25 05:25 CET", "2024-12-25 04:25"),
    ("2024-07-04 05:25 CEST", "2024-07-04 03:25"),
    ("2024-07-04 05:25 BST", "2024-07-04 04:25"),
    ("2024-12-25 05:25 AEDT", "2024-12-24 18:25"),
    ("2024-12-25 05:25 NST", "2024-12-25 08:55"),  # Newfoundland, as the display name (SHORT_IDS has Auckland)
    ("2024-12-25 05:25 GMT", "2024-12-25 05:25"),
    ("2024-12-25 05:25 UTC", "2024-12-25 05:25"),
    ("2024-12-25 05:25 Z", "2024-12-25 05:25"),
    ("2024-12-25 05:25 GMT+05:30", "2024-12-24 23:55"),
    ("2024-12-25 05:25 GMT+5:30", "2024-12-24 23:55"),
    ("2024-12-25 05:25 GMT-08:00", "2024-12-25 13:25"),
    ("2024-12-25 05:25 UTC+01:00", "2024-12-25 04:25"),
    ("2024-12-25 05:25 GMT-8", "2024-12-25 13:25"),
    ("2024-12-25 05:25 +0530", "2024-12-24 23:55"),
    ("2024-12-25 05:25 +05:30", "2024-12-24 23:55"),
    ("2024-12-25 05:25 -0800", "2024-12-25 13:25"),
    ("2024-12-25 05:25 AET", "2024-12-24 18:25"),  # a ZoneId.SHORT_IDS id: Australia/Sydney, in summer there
    ("2024-07-04 05:25 AET", "2024-07-03 19:25"),
    ("2024-12-25 05:25 CTT", "2024-12-24 21:25"),
    ("2024-12-25 05:25 America/New_York", "2024-12-25 10:25"),
    ("2024-07-04 05:25 Europe/Paris", "2024-07-04 03:25"),
]


@pytest.mark.parametrize("until, instant", ZONES)
def test_until_with_a_zone(until, instant):
    assert parse_until(until) == utc(instant)


@pytest.mark.parametrize("until", ["2024-12-25 05:25 XYZ", "2024-12-25 05:25 Mars/Olympus", "2024-12-25 05:25 +5",
                                   "2024-12-25 05:25 +530", "2024-12-25 05:25 GMT+19:00", "next tuesday"])
def test_an_unknown_zone_or_format_is_an_error(until):
    with pytest.raises(ValueError):
        parse_until(until)


def test_without_a_zone_it_is_local_time():
    local = datetime.datetime(2024, 12, 25, 5, 25).astimezone()
    assert parse_until("2024-12-25 05:25") == int(local.timestamp() * 1000)
    assert parse_until("2024-12-25") == int(datetime.datetime(2024, 12, 25).astimezone().timestamp() * 1000)
