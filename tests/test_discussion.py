"""Watchers, comments and evidence (issue 12, item 6): anyone who can see an action can follow
it and is e-mailed when its status changes or an update is accepted; each update has a
conversation between its lead and the coordinator; files attached as evidence are kept through
the storage API, within limits, and shown only where their update is."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from csp.models import (
    ActionWatch,
    Evidence,
    PartnershipRole,
    PeriodStatus,
    QuarterlyUpdate,
    ReportingPeriod,
    UpdateComment,
    UpdateState,
    UpdateStatus,
)
from tests import factories as make
from tests.html import form_fields, text_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def docx() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return data.getvalue()


def page_url(cast):
    return reverse("period-updates", args=[cast.q2.pk])


def prefix(action, district=None):
    return f"s{action.pk}-{district.pk if district else 'all'}"


def post_page(client, cast, intent="draft", files=None, **changes):
    fields = form_fields(client.get(page_url(cast)))
    fields |= {k.replace("__", "-"): v for k, v in changes.items()}
    return client.post(page_url(cast), fields | (files or {}) | {"intent": intent})


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def to(address):
    return [m for m in mail.outbox if m.to == [address]]


# -- following an action ------------------------------------------------------------------------


def test_anyone_who_can_see_an_action_can_follow_it_and_stop(cast):
    bob = signed_in(cast.bob)
    page = bob.get(f"/actions/{cast.hub.pk}/").content.decode()
    assert "Follow this action" in page
    response = bob.post(f"/actions/{cast.hub.pk}/follow/", {"follow": "yes"}, follow=True)
    assert "You follow 1.1.2" in text_of(response)
    assert ActionWatch.objects.filter(user=cast.bob, action=cast.hub).count() == 1
    bob.post(f"/actions/{cast.hub.pk}/follow/", {"follow": "yes"})  # twice: still one
    assert ActionWatch.objects.filter(user=cast.bob).count() == 1
    bob.post(f"/actions/{cast.hub.pk}/follow/", {"follow": "no"})
    assert not ActionWatch.objects.exists()


def test_no_follow_button_for_a_visitor_and_no_following_what_one_cannot_see(client, public):
    assert "Follow this action" not in client.get(f"/actions/{public.hub.pk}/").content.decode()
    assert client.post(f"/actions/{public.hub.pk}/follow/", {"follow": "yes"}).status_code == 302
    charlie = signed_in(public.charlie)
    # Castle is public: charlie may follow what the public sees, not the restricted action.
    assert charlie.post(f"/actions/{public.hub.pk}/follow/", {"follow": "yes"}).status_code == 302
    assert (
        charlie.post(f"/actions/{public.covert.pk}/follow/", {"follow": "yes"}).status_code == 404
    )
    assert list(ActionWatch.objects.values_list("action_id", flat=True)) == [public.hub.pk]


def follow(user, action):
    ActionWatch.objects.create(user=user, action=action)


def test_followers_are_told_when_a_submission_changes_the_status(cast):
    follow(cast.bob, cast.hub)
    follow(cast.olive, cast.hub)  # she makes the change: not told of it
    post_page(
        signed_in(cast.olive),
        cast,
        intent=f"submit:{prefix(cast.hub, cast.north)}",
        **{
            f"{prefix(cast.hub, cast.north)}__status": UpdateStatus.AT_RISK,
            f"{prefix(cast.hub, cast.north)}__progress": "Venue fell through",
        },
    )
    [message] = to("bob@example.invalid")
    assert "1.1.2 Open a community safety hub, 2016/17 Q2:" in message.body
    assert "Its status is now at risk." in message.body
    assert f"http://testserver/actions/{cast.hub.pk}/" in message.body
    assert to("olive@example.invalid") == []


def test_a_draft_tells_no_one(cast):
    follow(cast.bob, cast.hub)
    post_page(signed_in(cast.olive), cast, **{f"{prefix(cast.hub, cast.north)}__progress": "Draft"})
    assert to("bob@example.invalid") == []


def submitted(cast, action, district, status=UpdateStatus.ON_TRACK, **kwargs):
    return make.update(
        action,
        cast.q2,
        status,
        district,
        state=UpdateState.SUBMITTED,
        organisation=cast.council,
        author=cast.olive,
        submitted_at=timezone.now(),
        **kwargs,
    )


def test_followers_are_told_when_an_update_is_accepted_or_returned(cast):
    follow(cast.bob, cast.hub)
    update = submitted(cast, cast.hub, cast.north)
    alice = signed_in(cast.alice)
    alice.post(f"/periods/{cast.q2.pk}/updates/{update.pk}/accept/", {"version": update.version})
    [accepted] = to("bob@example.invalid")
    assert "The coordinator accepted the North update (on track)." in accepted.body
    other = submitted(cast, cast.hub, cast.south, status=UpdateStatus.OFF_TRACK)
    mail.outbox.clear()
    from csp.models import ActionStatus

    ActionStatus.refresh([(cast.hub.pk, cast.q2.pk)])
    alice.post(
        f"/periods/{cast.q2.pk}/updates/{other.pk}/return/",
        {"version": other.version, "comment": "Why off track?"},
    )
    [returned] = to("bob@example.invalid")
    assert "Its status is now on track (it was off track)." in returned.body


def test_accepting_many_sends_each_follower_one_e_mail(cast):
    follow(cast.bob, cast.hub)
    first, second = submitted(cast, cast.hub, cast.north), submitted(cast, cast.hub, cast.south)
    signed_in(cast.alice).post(
        f"/periods/{cast.q2.pk}/accept-all/",
        {"updates": ",".join(f"{u.pk}:{u.version}" for u in (first, second)), "confirm": "yes"},
    )
    [message] = to("bob@example.invalid")
    assert "accepted the North update" in message.body
    assert "accepted the South update" in message.body


def test_a_follower_outside_the_partnership_hears_only_what_the_public_may(public):
    cast = public
    follow(cast.charlie, cast.hub)
    update = submitted(cast, cast.hub, cast.north, is_restricted=True)
    signed_in(cast.alice).post(
        f"/periods/{cast.q2.pk}/updates/{update.pk}/accept/", {"version": update.version}
    )
    assert to("charlie@example.invalid") == []  # a restricted update: nothing to tell
    public.castle.is_public = False
    public.castle.save()
    open_one = submitted(cast, cast.hub, cast.south)
    signed_in(cast.alice).post(
        f"/periods/{cast.q2.pk}/updates/{open_one.pk}/accept/", {"version": open_one.version}
    )
    assert to("charlie@example.invalid") == []  # no longer public: he may not see it at all


def test_a_follower_who_left_the_partnership_is_not_told(cast):
    follow(cast.bob, cast.hub)
    PartnershipRole.objects.filter(user=cast.bob).delete()
    update = submitted(cast, cast.hub, cast.north)
    signed_in(cast.alice).post(
        f"/periods/{cast.q2.pk}/updates/{update.pk}/accept/", {"version": update.version}
    )
    assert to("bob@example.invalid") == []


# -- comments ------------------------------------------------------------------------------------


def test_an_officer_comments_and_the_coordinator_is_e_mailed(cast):
    update = make.update(
        cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT
    )
    olive = signed_in(cast.olive)
    response = post_page(
        olive, cast, **{f"{prefix(cast.hub, cast.north)}__comment": "Is a draft venue enough?"}
    )
    assert response.status_code == 302
    comment = UpdateComment.objects.get()
    assert (comment.update, comment.author, comment.text) == (
        update,
        cast.olive,
        "Is a draft venue enough?",
    )
    [message] = to("alice@example.invalid")
    assert message.subject == "Castle CSP: olive commented on 1.1.2 North for 2016/17 Q2"
    assert f"http://testserver/periods/{cast.q2.pk}/" in message.body
    page = olive.get(page_url(cast))
    assert "Your comment on 1.1.2 North is sent." in text_of(page)
    assert "Is a draft venue enough?" in text_of(page)
    assert "Nothing to save" not in text_of(page)


def test_the_coordinator_replies_from_the_review_page_and_the_author_is_e_mailed(cast):
    update = submitted(cast, cast.hub, cast.north)
    UpdateComment.objects.create(update=update, author=cast.olive, text="Question from Olive")
    alice = signed_in(cast.alice)
    review = alice.get(f"/periods/{cast.q2.pk}/").content.decode()
    assert "Question from Olive" in review
    response = alice.post(
        f"/periods/{cast.q2.pk}/updates/{update.pk}/comment/", {"text": "Yes, it is."}, follow=True
    )
    assert "Your comment on 1.1.2 North is added. olive has been e-mailed." in text_of(response)
    [message] = to("olive@example.invalid")
    assert "Yes, it is." in message.body
    assert f"http://testserver/updates/{cast.q2.pk}/" in message.body
    assert update.state == QuarterlyUpdate.objects.get(pk=update.pk).state  # unchanged


def test_an_empty_comment_is_refused_on_the_card(cast):
    update = submitted(cast, cast.hub, cast.north)
    response = signed_in(cast.alice).post(
        f"/periods/{cast.q2.pk}/updates/{update.pk}/comment/", {"text": "  "}
    )
    assert f'<a href="#comment-{update.pk}">Enter a comment.</a>' in response.content.decode()
    assert not UpdateComment.objects.exists()


def test_a_return_joins_the_conversation(cast):
    update = submitted(cast, cast.hub, cast.north)
    signed_in(cast.alice).post(
        f"/periods/{cast.q2.pk}/updates/{update.pk}/return/",
        {"version": update.version, "comment": "Say when it opens"},
    )
    comment = UpdateComment.objects.get()
    assert (comment.text, comment.is_return, comment.author) == (
        "Say when it opens",
        True,
        cast.alice,
    )
    assert "alice" in text_of(signed_in(cast.olive).get(page_url(cast)))
    assert "returned the update" in text_of(signed_in(cast.olive).get(page_url(cast)))


def test_a_question_before_anything_is_written_starts_the_update_as_a_draft(cast):
    response = post_page(
        signed_in(cast.olive),
        cast,
        **{f"{prefix(cast.hub, cast.north)}__comment": "Before I start: which venue?"},
    )
    assert response.status_code == 302
    update = QuarterlyUpdate.objects.get(action=cast.hub, period=cast.q2, district=cast.north)
    assert (update.state, update.status, update.progress) == (
        UpdateState.DRAFT,
        UpdateStatus.NOT_GIVEN,
        "",
    )
    assert update.comments.get().text == "Before I start: which venue?"


def test_a_comment_too_long_is_kept_as_typed(cast):
    make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT)
    long = "word " * 1100
    response = post_page(
        signed_in(cast.olive), cast, **{f"{prefix(cast.hub, cast.north)}__comment": long}
    )
    assert response.status_code == 200
    assert "a comment can be at most 5,000 characters" in text_of(response)
    assert long.strip() in response.content.decode()
    assert not UpdateComment.objects.exists()


def test_a_comment_waits_with_everything_else_when_nothing_could_be_saved(cast):
    make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state=UpdateState.DRAFT)
    olive = signed_in(cast.olive)
    stale = form_fields(olive.get(page_url(cast)))
    post_page(olive, cast, **{f"{prefix(cast.hub, cast.north)}__progress": "Saved elsewhere"})
    response = olive.post(
        page_url(cast),
        stale
        | {
            f"{prefix(cast.hub, cast.north)}-progress": "Mine",
            f"{prefix(cast.hub, cast.north)}-comment": "Typed with it",
            "intent": "draft",
        },
    )
    assert "Nothing was saved" in text_of(response)
    assert "Typed with it" in response.content.decode()
    assert not UpdateComment.objects.exists()


# -- evidence ------------------------------------------------------------------------------------


def attach(client, cast, *uploads, district=None, **changes):
    district = district or cast.north
    return post_page(
        client,
        cast,
        files={f"{prefix(cast.hub, district)}-evidence": list(uploads)},
        **{f"{prefix(cast.hub, district)}__progress": "With a file"} | changes,
    )


def test_a_file_is_attached_through_the_storage_api_and_listed_with_its_update(cast):
    olive = signed_in(cast.olive)
    response = attach(
        olive, cast, SimpleUploadedFile("Hub report.pdf", PDF, "application/octet-stream")
    )
    assert response.status_code == 302
    item = Evidence.objects.get()
    assert (item.name, item.kind, item.size, item.uploaded_by) == (
        "Hub report.pdf",
        "pdf",
        len(PDF),
        cast.olive,
    )
    assert item.file.name.startswith(f"evidence/{cast.q2.pk}/") and item.file.name.endswith(".pdf")
    assert default_storage.exists(item.file.name)
    assert "Attached to 1.1.2 North: Hub report.pdf." in text_of(olive.get(page_url(cast)))
    download = olive.get(f"/evidence/{item.pk}/")
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download["Content-Security-Policy"]


def test_office_and_image_files_are_taken_for_what_they_are(cast):
    olive = signed_in(cast.olive)
    attach(
        olive,
        cast,
        SimpleUploadedFile("minutes.docx", docx()),
        SimpleUploadedFile("photo.png", PNG),
    )
    assert sorted(Evidence.objects.values_list("kind", flat=True)) == ["docx", "png"]


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("virus.pdf", b"MZ\x90\x00 not a pdf", "only PDF, images"),
        ("notes.txt", b"plain text", "only PDF, images"),
        ("archive.docx", b"PK\x03\x04 broken zip", "only PDF, images"),
        ("empty.pdf", b"", "it is empty"),
    ],
)
def test_what_may_not_be_attached_is_refused_by_name(cast, name, content, why):
    olive = signed_in(cast.olive)
    response = attach(olive, cast, SimpleUploadedFile(name, content))
    assert response.status_code == 302
    assert not Evidence.objects.exists()
    assert f"{name} was not attached: {why}" in text_of(olive.get(page_url(cast)))
    # The update itself was saved all the same.
    assert QuarterlyUpdate.objects.get(
        action=cast.hub, period=cast.q2, district=cast.north
    ).progress == ("With a file")


@override_settings(EVIDENCE_MAX_MB=1)
def test_a_file_too_large_is_cut_off_while_it_arrives_and_refused_by_name(cast):
    big = SimpleUploadedFile("huge.pdf", PDF + b"0" * (1024 * 1024 + 10))
    olive = signed_in(cast.olive)
    attach(olive, cast, big)
    assert not Evidence.objects.exists()
    assert "huge.pdf was not attached: it is larger than 1 MB." in text_of(
        olive.get(page_url(cast))
    )


def test_an_update_holds_at_most_ten_files(cast):
    olive = signed_in(cast.olive)
    attach(olive, cast, *[SimpleUploadedFile(f"f{n}.pdf", PDF) for n in range(11)])
    assert Evidence.objects.count() == 10
    assert "f10.pdf was not attached: an update can have at most 10 files." in text_of(
        olive.get(page_url(cast))
    )


def test_a_file_can_be_removed_while_the_update_can_be_changed(cast):
    olive = signed_in(cast.olive)
    attach(olive, cast, SimpleUploadedFile("old.pdf", PDF))
    item = Evidence.objects.get()
    post_page(olive, cast, **{f"{prefix(cast.hub, cast.north)}__remove-evidence": str(item.pk)})
    assert not Evidence.objects.exists()
    assert "Removed from 1.1.2 North: old.pdf." in text_of(olive.get(page_url(cast)))


def test_files_of_a_reported_period_are_fixed(cast):
    olive = signed_in(cast.olive)
    attach(olive, cast, SimpleUploadedFile("kept.pdf", PDF))
    item = Evidence.objects.select_related("update__period").get()
    ReportingPeriod.objects.filter(pk=cast.q2.pk).update(status=PeriodStatus.REPORTED)
    from csp.models import PeriodLocked

    item.update.period.refresh_from_db()
    with pytest.raises(PeriodLocked):
        item.delete()
    assert Evidence.objects.count() == 1


def test_a_file_on_an_update_kept_back_with_a_problem_is_not_attached(cast):
    from csp.models import Measure

    measure = Measure.objects.create(action=cast.hub, description="Visits")
    olive = signed_in(cast.olive)
    response = attach(
        olive,
        cast,
        SimpleUploadedFile("with-error.pdf", PDF),
        **{f"{prefix(cast.hub, cast.north)}__m{measure.pk}": "lots"},
    )
    assert response.status_code == 400
    assert not Evidence.objects.exists()
    assert "fix the problem with the update and choose them again" in text_of(response)


def test_evidence_is_shown_only_where_its_update_is(public):
    cast = public
    draft = make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.north, state="draft")
    accepted = make.update(cast.hub, cast.q2, UpdateStatus.ON_TRACK, cast.south)
    hidden = QuarterlyUpdate.objects.get(action=cast.burglary, period=cast.q2)  # restricted

    def file_for(update):
        item = Evidence(update=update, name="f.pdf", kind="pdf", size=len(PDF))
        from django.core.files.base import ContentFile

        item.file.save(".pdf", ContentFile(PDF), save=False)
        item.save()
        return item

    on_draft, on_accepted, on_hidden = file_for(draft), file_for(accepted), file_for(hidden)
    visitor = Client()
    assert visitor.get(f"/evidence/{on_accepted.pk}/").status_code == 200
    assert visitor.get(f"/evidence/{on_draft.pk}/").status_code == 302  # sign in
    assert visitor.get(f"/evidence/{on_hidden.pk}/").status_code == 302
    charlie = signed_in(cast.charlie)
    assert charlie.get(f"/evidence/{on_accepted.pk}/").status_code == 200
    assert charlie.get(f"/evidence/{on_hidden.pk}/").status_code == 404
    assert charlie.get(f"/evidence/{on_draft.pk}/").status_code == 404
    assert signed_in(cast.bob).get(f"/evidence/{on_hidden.pk}/").status_code == 200
    # The action page lists a public update's file to the public, never a restricted one's.
    page = visitor.get(f"/actions/{cast.hub.pk}/").content.decode()
    assert f"/evidence/{on_accepted.pk}/" in page and f"/evidence/{on_draft.pk}/" not in page
    assert (
        f"/evidence/{on_hidden.pk}/"
        not in visitor.get(f"/actions/{cast.burglary.pk}/").content.decode()
    )


def test_a_link_holder_downloads_only_the_files_of_the_updates_it_opens(cast):
    from csp.models import PersonalLink

    cast.q2.deadline = timezone.localdate() + timezone.timedelta(days=5)
    cast.q2.save()
    link = PersonalLink.create(
        period=cast.q2,
        organisation=cast.council,
        holder_name="Pat",
        holder_email="pat@example.invalid",
        grace_days=1,
        created_by=cast.alice,
    )
    holder = Client()
    page = holder.get(link.path())
    holder.post(
        link.path(),
        form_fields(page)
        | {
            f"{prefix(cast.hub, cast.north)}-progress": "From Pat",
            f"{prefix(cast.hub, cast.north)}-evidence": SimpleUploadedFile("pat.pdf", PDF),
            "intent": "draft",
        },
    )
    item = Evidence.objects.get()
    assert item.uploaded_by == link.user
    assert holder.get(f"{link.path()}evidence/{item.pk}/").status_code == 200
    police = make.update(cast.patrols, cast.q2, UpdateStatus.ON_TRACK, cast.north, state="draft")
    theirs = Evidence(update=police, name="p.pdf", kind="pdf", size=len(PDF))
    from django.core.files.base import ContentFile

    theirs.file.save(".pdf", ContentFile(PDF), save=False)
    theirs.save()
    assert holder.get(f"{link.path()}evidence/{theirs.pk}/").status_code == 404
    assert holder.get(f"/evidence/{item.pk}/").status_code == 302  # not signed in anywhere
