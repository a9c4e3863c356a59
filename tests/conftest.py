import pytest
from django.conf import settings

from tests.cast import build_cast


def pytest_report_header(config):
    db = settings.DATABASES["default"]
    return f"database: {db['ENGINE'].rsplit('.', 1)[-1]} {db.get('HOST') or ''} {db['NAME']}"


@pytest.fixture
def cast(db):
    return build_cast()
