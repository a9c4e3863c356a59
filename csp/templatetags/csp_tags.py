"""Small presentation helpers shared by the pages: status tags and query-string links."""

from __future__ import annotations

import logging
from decimal import Decimal
from html import escape
from typing import Any

from django import template
from django.http import QueryDict
from django.utils.safestring import mark_safe

from csp.cycle import STATE_LABELS
from csp.models import UpdateStatus

logger = logging.getLogger(__name__)

register = template.Library()

# GOV.UK tag colours; the tag always carries the status in words too.
STATUS_TAG_CLASSES = {
    UpdateStatus.NOT_STARTED: "govuk-tag--grey",
    UpdateStatus.ON_TRACK: "govuk-tag--green",
    UpdateStatus.AT_RISK: "govuk-tag--orange",
    UpdateStatus.OFF_TRACK: "govuk-tag--red",
    UpdateStatus.COMPLETE: "govuk-tag--blue",
    UpdateStatus.NO_LONGER_REQUIRED: "govuk-tag--purple",
    UpdateStatus.NOT_GIVEN: "govuk-tag--light-blue",
}


@register.inclusion_tag("includes/status_tag.html")
def status_tag(status: str | None) -> dict[str, str]:
    if not status:
        return {"label": "No update", "classes": "govuk-tag--grey"}
    return {
        "label": UpdateStatus(status).label,
        "classes": STATUS_TAG_CLASSES[UpdateStatus(status)],
    }


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """The current query string with ``changes`` applied (``None`` removes a key)."""
    query: QueryDict = context["request"].GET.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value is not None:
            query[key] = str(value)
    return query.urlencode()


@register.filter
def number(value: Decimal | int | float | None) -> str:
    """A figure as people write it: ``100.00`` → ``100``, ``82.50`` → ``82.5``, ``14,019``."""
    if value is None or value == "":
        return ""
    amount = Decimal(str(value)).normalize()
    if amount == amount.to_integral():
        return f"{int(amount):,}"
    return f"{amount:,f}"


@register.filter
def figure(value: Decimal | int | float | None, measure: Any) -> str:
    """A figure with its measure's unit: "12 sessions", "1 campaign", "85%"."""
    if value is None or value == "":
        return ""
    unit = measure.unit_for(value) if measure is not None else ""
    if unit == "%":
        return f"{number(value)}%"
    return f"{number(value)} {unit}" if unit else number(value)


@register.filter
def get(mapping: dict[str, Any] | None, key: str) -> Any:
    """``mapping[key]``, or ``None``: for dictionaries keyed by a slot."""
    return (mapping or {}).get(key)


STATE_TAG_CLASSES = {
    "missing": "govuk-tag--red",
    "draft": "govuk-tag--grey",
    "returned": "govuk-tag--orange",
    "submitted": "govuk-tag--blue",
    "accepted": "govuk-tag--green",
}


@register.inclusion_tag("includes/status_tag.html")
def state_tag(state: str) -> dict[str, str]:
    """Where an expected update has got to: Missing, Draft, Returned, Submitted or Accepted."""
    return {"label": STATE_LABELS[state], "classes": STATE_TAG_CLASSES[state]}


@register.simple_tag
def checkbox_items(group: Any) -> str:
    """A filter's GOV.UK small checkboxes, one per choice.

    Built here rather than by a template loop: a county's filter panel has hundreds of choices,
    and a loop of template nodes for each was a third of the action list's time. Plain
    ``html.escape`` (what Django's ``escape`` calls) and string joins: ``format_html`` per
    choice was still 4 ms of a 20 ms page.
    """
    name = escape(group.name)
    items = []
    for choice in group.choices:
        id_ = escape(choice.id)
        items.append(
            f'<div class="govuk-checkboxes__item"><input class="govuk-checkboxes__input" '
            f'id="{id_}" name="{name}" type="checkbox" value="{escape(choice.value)}"'
            f'{" checked" if choice.checked else ""}><label class="govuk-label '
            f'govuk-checkboxes__label" for="{id_}">{escape(choice.label)}</label></div>'
        )
    return mark_safe("\n".join(items))  # every value is escaped


@register.filter
def css_string(value: object) -> str:
    """``value`` as a quoted CSS string, for the print stylesheet's running header and footer.

    Quotes, backslashes and line breaks are escaped, and ``<`` too, so that words a clerk or a
    coordinator typed can neither end the string nor the ``<style>`` element around it.
    """
    text = "" if value is None else str(value)
    escaped = "".join(
        f"\\{ord(char):x} " if char in '"\\<>\n\r\f' or ord(char) < 32 else char for char in text
    )
    return mark_safe(f'"{escaped}"')


@register.tag("pagecache")
def pagecache(parser: template.base.Parser, token: template.base.Token) -> PageCacheNode:
    """``{% pagecache "dashboard" plan.pk period.pk %}…{% endpagecache %}``: the part of a page
    kept in the cache (``csp.caching``) under its name and values, for everyone who sees the
    same partnerships, until the data changes. The view gives the ``page_cache``; without one
    the part is simply rendered. It must hold nothing that varies by anything else (a form's
    CSRF token, the visitor's name, a message)."""
    name, *values = token.split_contents()[1:]
    nodelist = parser.parse(("endpagecache",))
    parser.delete_first_token()
    return PageCacheNode(nodelist, name.strip("'\""), [parser.compile_filter(v) for v in values])


class PageCacheNode(template.Node):
    def __init__(
        self, nodelist: template.NodeList, name: str, values: list[template.base.FilterExpression]
    ) -> None:
        self.nodelist, self.name, self.values = nodelist, name, values

    def render(self, context: template.Context) -> str:
        page = context.get("page_cache")
        if page is None:
            return self.nodelist.render(context)
        parts = tuple(str(value.resolve(context)) for value in self.values)

        def fragment() -> str:
            html = self.nodelist.render(context)
            if CSRF_FIELD in html:
                raise _Uncacheable(html)
            return html

        try:
            return page.get_or_set(f"fragment:{self.name}", parts, fragment)  # type: ignore[no-any-return]
        except _Uncacheable as uncached:
            # Another visitor would be sent this one's token (and its form refused): shown,
            # never kept. The template is wrong; the page still answers.
            logger.error("{%% pagecache %s %%} holds a form's CSRF token: not cached", self.name)
            return uncached.html


CSRF_FIELD = 'name="csrfmiddlewaretoken"'


class _Uncacheable(Exception):
    def __init__(self, html: str) -> None:
        self.html = html
