"""Project middleware: the sign-in page for ``SignInRequired``, the Content Security Policy, and
private caching for signed-in visitors."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from csp.access import SignInRequired


class SignInRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SignInRequired):
            return redirect_to_login(request.get_full_path())
        return None


class ContentSecurityPolicyMiddleware:
    """Sends ``settings.CONTENT_SECURITY_POLICY`` with every page that has none of its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response


class PrivateCacheMiddleware:
    """Keeps what a signed-in visitor is sent out of shared caches.

    Members see restricted actions and updates at the very addresses the public uses, so any
    response to a signed-in visitor may hold what only members may see. Unless its view said
    otherwise, such a response is marked ``private``, and a download (a CSV, a workbook, a PDF:
    anything sent as a file) ``no-store`` too, so it is not kept on a shared computer's disk.
    What a signed-out visitor gets is public and may be cached.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if "Cache-Control" not in response and user is not None and user.is_authenticated:
            if is_download(response):
                patch_cache_control(response, private=True, no_store=True)
            else:
                patch_cache_control(response, private=True)
        return response


def is_download(response: HttpResponse) -> bool:
    """Is ``response`` a file rather than a page: sent as an attachment, or not HTML at all."""
    if "Content-Disposition" in response:
        return True
    content_type = response.get("Content-Type", "")
    return bool(content_type) and not content_type.startswith("text/html")
