"""Downloading a file attached to an update as evidence.

A file is shown wherever its update is shown, and to no one else: members of the partnership
see the files of every update submitted or accepted, and of one not yet submitted (a draft, a
returned one) only if they review it or write it, as only their pages show it; anyone else
only those of updates the public view shows (``QuarterlyUpdate.objects.reported().visible_to``);
a personal link's holder, those of the updates the link opens. Files are always downloaded,
never shown in the page, and served as the type they were found to be when attached.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from csp import access, cycle, ratelimit
from csp.models import Evidence, PersonalLink, QuarterlyUpdate
from csp.views.links import LINK_RATE_SCOPE, guessing


def _download(item: Evidence, *, private: bool) -> HttpResponse:
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(
        handle, as_attachment=True, filename=item.name, content_type=item.content_type
    )
    # Nothing in it may run or frame anything, even if a browser were to show it.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store" if private else "public, max-age=300"
    return response


@require_http_methods(["GET", "HEAD"])
def evidence_file(request: HttpRequest, pk: int) -> HttpResponse:
    """``/evidence/<pk>/``: one file, for whoever may see its update."""
    item = (
        Evidence.objects.filter(pk=pk)
        .select_related("update__action__objective__priority__plan", "update__period__plan")
        .first()
    )
    if item is None:
        raise Http404
    partnership_id = item.update.action.objective.priority.plan.partnership_id
    reported = QuarterlyUpdate.objects.reported().filter(pk=item.update_id)
    if access.sees_restricted(request.user, partnership_id):
        # A member sees every update once it is submitted (the action page lists them); one
        # not yet submitted only if they review it or write it, as only their pages show it.
        if (
            reported.exists()
            or access.is_coordinator(request.user, partnership_id)
            or (
                access.writes_updates_in(request.user, partnership_id)
                and cycle.PeriodSlots(item.update.period).holds(
                    item.update_id, access.organisation_ids(request.user)
                )
            )
        ):
            return _download(item, private=True)
        raise Http404
    if reported.visible_to(request.user).exists():
        return _download(item, private=request.user.is_authenticated)
    if not request.user.is_authenticated:
        raise access.SignInRequired
    raise Http404


@never_cache
@require_http_methods(["GET", "HEAD"])
def link_evidence_file(request: HttpRequest, pk: int, token: str, evidence_pk: int) -> HttpResponse:
    """A file of one of the updates a personal link opens, for the link's holder."""
    refused = guessing(request)
    if refused is not None:
        return refused
    link = PersonalLink.opened_by(pk, token)
    if link is None:
        ratelimit.retry_after(request, LINK_RATE_SCOPE)  # counts this refusal, as the page does
    if link is None or not link.is_usable():
        raise Http404
    item = Evidence.objects.filter(pk=evidence_pk, update__period=link.period).first()
    if item is None:
        raise Http404
    if not cycle.PeriodSlots(link.period, only_for={link.organisation_id}).holds(
        item.update_id, {link.organisation_id}
    ):
        raise Http404
    return _download(item, private=True)
