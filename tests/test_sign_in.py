import pytest
from django.contrib.auth.models import User

pytestmark = pytest.mark.django_db


def test_a_wrong_password_is_explained_on_the_page(client):
    User.objects.create_user("alice", password="right-password-1")
    response = client.post("/accounts/sign-in/", {"username": "alice", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert 'href="#id_username"' in html


def test_signing_in_returns_to_the_page_asked_for(client):
    User.objects.create_user("alice", password="right-password-1")
    response = client.post(
        "/accounts/sign-in/",
        {"username": "alice", "password": "right-password-1", "next": "/actions/"},
    )
    assert response["Location"] == "/actions/"


def test_signing_out_needs_a_post(client):
    user = User.objects.create_user("alice", password="right-password-1")
    client.force_login(user)
    assert client.get("/accounts/sign-out/").status_code == 405
    assert client.post("/accounts/sign-out/").status_code == 302
