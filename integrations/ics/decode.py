"""Bytes to text: size limit, byte-order marks, UTF-8 / UTF-16 / Latin-1."""

from __future__ import annotations

import codecs

from integrations.ics.model import MEGABYTE, UnreadableCalendar


def check_size(data: bytes, max_bytes: int) -> None:
    """Refuse input larger than ``max_bytes`` with a message naming both sizes."""
    if len(data) > max_bytes:
        raise UnreadableCalendar(
            f"file is {_megabytes(len(data))} MB, the limit is {_megabytes(max_bytes)} MB"
        )


def _megabytes(size: int) -> str:
    value = size / MEGABYTE
    return f"{value:.1f}".removesuffix(".0")


def decode(data: bytes) -> str:
    """The text of ``data``: UTF-8 (BOM optional), UTF-16 (BOM or NUL pattern), else Latin-1."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise UnreadableCalendar(f"file claims UTF-16 but cannot be decoded: {error}") from None
    if len(data) > 1 and (data[0] == 0) != (data[1] == 0):
        codec = "utf-16-be" if data[0] == 0 else "utf-16-le"
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")
