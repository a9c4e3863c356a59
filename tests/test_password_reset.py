"""Password reset by email, with Django's own views on GOV.UK pages."""

import re

import pytest
from django.contrib.auth.models import User
from django.core import mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return User.objects.create_user("alice", "alice@rochford.example", "old-password-123")


def test_the_sign_in_page_offers_a_reset(client):
    assert 'href="/accounts/password-reset/"' in client.get("/accounts/sign-in/").content.decode()


def test_a_reset_link_is_emailed_and_sets_a_new_password(client, alice):
    response = client.post("/accounts/password-reset/", {"email": "alice@rochford.example"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "Reset your CSP Tracker password"
    assert message.to == ["alice@rochford.example"]
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", message.body).group(1)
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a-brand-new-passphrase", "new_password2": "a-brand-new-passphrase"},
    )
    assert done["Location"] == "/accounts/reset/done/"
    alice.refresh_from_db()
    assert alice.check_password("a-brand-new-passphrase")
    assert "This link has expired" in client.get(link, follow=True).content.decode()


def test_an_unknown_address_gets_the_same_answer_and_no_email(client, alice):
    response = client.post("/accounts/password-reset/", {"email": "nobody@example.invalid"})
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_a_weak_new_password_is_explained(client, alice):
    client.post("/accounts/password-reset/", {"email": "alice@rochford.example"})
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "12345", "new_password2": "12345"}
    )
    html = response.content.decode()
    assert "There is a problem" in html
    assert "too short" in html
