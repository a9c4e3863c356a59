"""Keeping keys out of the log.

A personal link's token is the whole of its key, and it is in the link's address. Django logs
every answer of 400 or more with the address it was for (``django.request``), and the
development server every request (``django.server``); a link's page answers 400 when a figure
is mistyped, with its token still working. ``HideLinkTokens`` writes such addresses as
``/links/12/…/`` before any handler sees them.
"""

from __future__ import annotations

import logging
import re

_LINK_TOKEN = re.compile(r"(/links/\d+/)[^/\s?\"']+")


def hide_link_tokens(text: str) -> str:
    return _LINK_TOKEN.sub(r"\1…", text)


class HideLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = hide_link_tokens(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                hide_link_tokens(a) if isinstance(a, str) else a for a in record.args
            )
        return True
