"""Google's time values: RFC 3339 strings and the ``{dateTime, timeZone}`` / ``{date}`` objects."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from integrations.google.emulator.errors import ApiError, invalid


def zone(name: str | None, fallback: str = "UTC") -> ZoneInfo:
    """The IANA zone ``name`` (400 ``invalid`` when unknown)."""
    try:
        return ZoneInfo(name or fallback)
    except (ZoneInfoNotFoundError, ValueError):
        raise invalid(f"Invalid time zone definition for start time: {name}") from None


def parse_rfc3339(text: str, what: str = "time") -> datetime:
    """An RFC 3339 timestamp with a mandatory offset, as aware UTC."""
    try:
        value = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise ApiError(400, "badRequest", f"Bad Request: invalid {what} {text!r}") from None
    if value.tzinfo is None:
        raise ApiError(400, "badRequest", f"Bad Request: {what} needs an offset: {text!r}")
    return value.astimezone(UTC)


def format_rfc3339(value: datetime, millis: bool = True) -> str:
    """``2024-05-01T10:00:00.000Z`` (``updated``/``created``) or without millis."""
    value = value.astimezone(UTC)
    if millis:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_all_day(value: dict[str, Any]) -> bool:
    return "date" in value and "dateTime" not in value


def event_time(value: dict[str, Any], fallback_zone: str) -> datetime:
    """An event's ``start``/``end`` object as aware UTC (all-day: midnight in the zone)."""
    if not isinstance(value, dict):
        raise invalid("Invalid start or end time.")
    if "dateTime" in value:
        return parse_rfc3339(str(value["dateTime"]), "dateTime")
    if "date" in value:
        day = parse_date(str(value["date"]))
        local = datetime.combine(day, time(), zone(value.get("timeZone"), fallback_zone))
        return local.astimezone(UTC)
    raise ApiError(400, "required", "Missing time.")


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise invalid(f"Invalid date {text!r}.") from None


def wall_clock(value: dict[str, Any], fallback_zone: str) -> datetime:
    """The naive wall-clock start in the event's zone (recurrences are expanded in it)."""
    if is_all_day(value):
        return datetime.combine(parse_date(str(value["date"])), time())
    tz = zone(value.get("timeZone"), fallback_zone)
    return parse_rfc3339(str(value["dateTime"])).astimezone(tz).replace(tzinfo=None)


def time_object(wall: datetime, template: dict[str, Any], fallback_zone: str) -> dict[str, Any]:
    """A ``start``/``end`` object for a wall-clock time, shaped like ``template``."""
    if is_all_day(template):
        return {"date": wall.date().isoformat()}
    tz = zone(template.get("timeZone"), fallback_zone)
    aware = wall.replace(tzinfo=tz)
    result: dict[str, Any] = {"dateTime": aware.isoformat()}
    if "timeZone" in template:
        result["timeZone"] = template["timeZone"]
    return result


def localize(wall: datetime, template: dict[str, Any], fallback_zone: str) -> datetime:
    """A wall-clock time in the zone of ``template`` as aware UTC."""
    name = None if is_all_day(template) else template.get("timeZone")
    return wall.replace(tzinfo=zone(name, fallback_zone)).astimezone(UTC)


def instance_suffix(start_utc: datetime, all_day: bool, wall: datetime) -> str:
    """Google's instance id suffix: ``20240501T080000Z`` or ``20240501`` for all-day."""
    if all_day:
        return wall.strftime("%Y%m%d")
    return start_utc.strftime("%Y%m%dT%H%M%SZ")


ONE_DAY = timedelta(days=1)
