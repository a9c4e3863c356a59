"""The production static files build: what `collectstatic` makes for WhiteNoise to serve."""

import pytest
from django.core.management import call_command
from django.test import override_settings


def test_collectstatic_with_the_production_manifest_storage(tmp_path):
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
    assert list(tmp_path.glob("build/csp.*.css")), "the stylesheet was not collected with a hash"
    assert (tmp_path / "staticfiles.json").exists()


@pytest.mark.parametrize("forbidden", ["GDS Transport", "govuk-crest"])
def test_the_stylesheet_carries_nothing_reserved_for_gov_uk(forbidden):
    from django.conf import settings

    css = (settings.BASE_DIR / "static" / "build" / "csp.css").read_text()
    assert forbidden not in css
