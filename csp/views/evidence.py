"""Downloading a file attached to an update as evidence.

A file is shown wherever its update is shown, and to no one else: members of the partnership
see every update's files (drafts too, as the period and review pages show them); anyone else
only those of updates the public view shows (``QuarterlyUpdate.objects.reported().visible_to``);
a personal link's holder, those of the updates the link opens. Files are always downloaded,
never shown in the page, and served as the type they were found to be when attached.
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from csp import access, cycle
from csp.models import Evidence, PersonalLink, QuarterlyUpdate


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
        .select_related("update__action__objective__priority__plan")
        .first()
    )
    if item is None:
        raise Http404
    partnership_id = item.update.action.objective.priority.plan.partnership_id
    if access.sees_restricted(request.user, partnership_id):
        return _download(item, private=True)
    public = QuarterlyUpdate.objects.reported().visible_to(request.user).filter(pk=item.update_id)
    if public.exists():
        return _download(item, private=request.user.is_authenticated)
    if not request.user.is_authenticated:
        raise access.SignInRequired
    raise Http404


@never_cache
@require_http_methods(["GET", "HEAD"])
def link_evidence_file(request: HttpRequest, pk: int, token: str, evidence_pk: int) -> HttpResponse:
    """A file of one of the updates a personal link opens, for the link's holder."""
    link = PersonalLink.opened_by(pk, token)
    if link is None or not link.is_usable():
        raise Http404
    item = Evidence.objects.filter(pk=evidence_pk, update__period=link.period).first()
    if item is None:
        raise Http404
    slots = cycle.PeriodSlots(link.period).for_organisations({link.organisation_id})
    if item.update_id not in {s.update.pk for s in slots if s.update is not None}:
        raise Http404
    return _download(item, private=True)
