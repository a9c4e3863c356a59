from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from csp.models import Partnership


def home(request: HttpRequest) -> HttpResponse:
    partnerships = Partnership.objects.prefetch_related("plans")
    return render(request, "home.html", {"partnerships": partnerships})
