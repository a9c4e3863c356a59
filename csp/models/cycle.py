"""What the update cycle keeps besides the updates themselves: when each coordinator was last
sent a digest of the updates that came in, the personal links of partners without an account,
who follows which action, each update's comments and the files attached to it as evidence."""

from __future__ import annotations

import datetime
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from sesame.tokens import parse_token
from sesame.utils import get_token

from csp.models.updates import refuse_if_locked

MAX_GRACE_DAYS = 60
COMMENT_MAX_LENGTH = 5000


class CoordinatorDigest(models.Model):
    """When a coordinator was last e-mailed a digest of submitted updates, and up to when.

    One row per coordinator. Claiming the right to send is one conditional UPDATE of
    ``last_sent_at`` (``csp.notifications.send_digests``), so two submissions at once send one
    e-mail; ``covered_until`` is the latest submission a digest has told them of.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator_digest"
    )
    last_sent_at = models.DateTimeField(null=True, blank=True)
    covered_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Digest for {self.user}: last sent {self.last_sent_at}"


class PersonalLinkQuerySet(models.QuerySet["PersonalLink"]):
    def usable(self, now: datetime.datetime | None = None) -> list[PersonalLink]:
        """The links that work now: not revoked, and the deadline plus grace not passed.

        The expiry is worked out in Python (``is_usable``), as each engine would add the grace
        to the deadline its own way; a period has a handful of links.
        """
        candidates = self.filter(revoked_at__isnull=True, period__deadline__isnull=False)
        return [link for link in candidates.select_related("period", "user") if link.is_usable(now)]


class PersonalLink(models.Model):
    """A partner's way in without an account: one organisation's updates for one period.

    The coordinator names the holder (name and e-mail) and a grace after the period's deadline;
    the link works until the end of the deadline's day plus the grace, or until revoked. The
    token in it is django-sesame's, signed for the link's own ``user`` and scoped to this link,
    so it opens this link's page and nothing else. That user has no password anyone knows, no
    role and never a session: it is what the token is signed for, and who the history, the
    updates' authors and the reminders name.
    """

    period = models.ForeignKey(
        "ReportingPeriod", on_delete=models.CASCADE, related_name="personal_links"
    )
    organisation = models.ForeignKey(
        "Organisation", on_delete=models.PROTECT, related_name="personal_links"
    )
    holder_name = models.CharField("name", max_length=150)
    holder_email = models.EmailField("e-mail address")
    grace_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MaxValueValidator(MAX_GRACE_DAYS)],
        help_text="Days after the deadline the link still works.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="personal_link"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = PersonalLinkQuerySet.as_manager()

    class Meta:
        ordering = ["organisation__name", "holder_name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(grace_days__lte=MAX_GRACE_DAYS), name="link_grace_bounded"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.holder_name} <{self.holder_email}> for {self.organisation} ({self.period})"

    @property
    def scope(self) -> str:
        """What its tokens are signed for, besides the user: this link and no other."""
        return f"csp-personal-link:{self.pk}"

    @property
    def expires_at(self) -> datetime.datetime | None:
        """The end of the deadline's day plus the grace, where the site is; ``None``: no
        deadline (the link does not work)."""
        deadline = self.period.deadline
        if deadline is None:
            return None
        last_day = deadline + datetime.timedelta(days=self.grace_days)
        midnight = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time())
        return timezone.make_aware(midnight)

    def is_usable(self, now: datetime.datetime | None = None) -> bool:
        expires = self.expires_at
        return self.revoked_at is None and expires is not None and (now or timezone.now()) < expires

    @property
    def state_label(self) -> str:
        if self.revoked_at is not None:
            return "Revoked"
        return "Works" if self.is_usable() else "Expired"

    def history_reason(self) -> str:
        """What the history records with each save through the link (100 characters at most)."""
        reason = f"Through the personal link of {self.holder_name} <{self.holder_email}>"
        if len(reason) > 100:
            reason = f"Personal link <{self.holder_email}>"
        if len(reason) > 100:
            reason = f"Personal link <…{self.holder_email[-83:]}>"
        return reason

    def token(self) -> str:
        """A fresh token for the link's address (tokens are not stored: each is made anew)."""
        return get_token(self.user, scope=self.scope)

    def path(self) -> str:
        return reverse("personal-link", args=[self.pk, self.token()])

    @classmethod
    def create(
        cls,
        *,
        period: Any,
        organisation: Any,
        holder_name: str,
        holder_email: str,
        grace_days: int,
        created_by: Any,
    ) -> PersonalLink:
        """A new link with its own sign-in-less user, in one transaction."""
        User = get_user_model()
        with transaction.atomic():
            user = User(
                username=f"link-{secrets.token_hex(10)}",
                first_name=holder_name[:150],
                email=holder_email,
            )
            user.set_unusable_password()
            user.save()
            return cls.objects.create(
                period=period,
                organisation=organisation,
                holder_name=holder_name,
                holder_email=holder_email,
                grace_days=grace_days,
                user=user,
                created_by=created_by,
            )

    def revoke(self, by: Any) -> None:
        """Stop the link working. A new unusable password changes the key its tokens were
        signed with, so every token made for it fails django-sesame's check from now on."""
        with transaction.atomic():
            self.user.set_unusable_password()
            self.user.is_active = False
            self.user.save(update_fields=["password", "is_active"])
            self.revoked_at = timezone.now()
            self.revoked_by = by
            self.save(update_fields=["revoked_at", "revoked_by"])

    @classmethod
    def opened_by(cls, pk: int, token: str) -> PersonalLink | None:
        """The link ``pk`` if ``token`` is a good token for it (expired or not); else ``None``.

        django-sesame checks the signature, the scope (this link's) and the age; the user it
        may return is only ever this link's own, and only while it is active (not revoked).
        """
        link = cls.objects.select_related("user", "period__plan__partnership", "organisation")
        found = link.filter(pk=pk).first()
        if found is None or not found.user.is_active:
            return None
        # The longest any of its tokens may live: from the link's making to its expiry. (A
        # token made later is younger; the expiry itself is checked by the caller.)
        expires = found.expires_at
        if expires is None:
            return None
        max_age = max(expires - found.created_at, datetime.timedelta(seconds=1))

        def link_user(user_pk: Any) -> Any:
            return found.user if user_pk == found.user_id else None

        if parse_token(token, link_user, found.scope, max_age) is None:
            return None
        return found


class ActionWatch(models.Model):
    """Someone who follows an action: e-mailed when its status changes or an update of it is
    accepted (``csp.notifications.TellingWatchers``)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="action_watches"
    )
    action = models.ForeignKey("Action", on_delete=models.CASCADE, related_name="watches")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "action"], name="one_watch_per_action"),
        ]

    def __str__(self) -> str:
        return f"{self.user} follows {self.action_id}"


class UpdateComment(models.Model):
    """One message in an update's thread, between its lead and the coordinator.

    A return is a comment too (``is_return``), so the thread tells the whole conversation.
    """

    update = models.ForeignKey("QuarterlyUpdate", on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(max_length=COMMENT_MAX_LENGTH)
    is_return = models.BooleanField(default=False, help_text="Sent with the update's return.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Comment on {self.update_id} by {self.author}: {self.text[:40]}"


def evidence_path(evidence: Evidence, filename: str) -> str:
    """Where the storage keeps a file: a random name, never the uploader's (which is kept as
    ``name``), so a name cannot collide, guess another file's or climb out of the folder."""
    suffix = EVIDENCE_TYPES[evidence.kind][0]
    return f"evidence/{evidence.update.period_id}/{secrets.token_hex(16)}{suffix}"


# What may be attached as evidence: the kind (as ``csp.evidence.sniff`` reads it from the file's
# first bytes), its file name ending, the type it is served as, and how the pages name it.
EVIDENCE_TYPES: dict[str, tuple[str, str, str]] = {
    "pdf": (".pdf", "application/pdf", "PDF"),
    "png": (".png", "image/png", "PNG image"),
    "jpeg": (".jpg", "image/jpeg", "JPEG image"),
    "gif": (".gif", "image/gif", "GIF image"),
    "docx": (
        ".docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word document",
    ),
    "xlsx": (
        ".xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel spreadsheet",
    ),
    "pptx": (
        ".pptx",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "PowerPoint presentation",
    ),
    "odt": (".odt", "application/vnd.oasis.opendocument.text", "OpenDocument text"),
    "ods": (".ods", "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet"),
    "odp": (".odp", "application/vnd.oasis.opendocument.presentation", "OpenDocument slides"),
    "doc": (".doc", "application/msword", "Word 97–2003 document"),
    "xls": (".xls", "application/vnd.ms-excel", "Excel 97–2003 spreadsheet"),
    "ppt": (".ppt", "application/vnd.ms-powerpoint", "PowerPoint 97–2003 presentation"),
}


class Evidence(models.Model):
    """A file attached to an update as evidence: a report, a photograph, a spreadsheet.

    Kept through Django's storage API (``STORAGES["default"]``), so a site can put the files in
    object storage. Shown with the update wherever the update is shown, and so never in the
    public view unless the update itself is public. Like the update, fixed once its period is
    reported, except in an amendment.
    """

    update = models.ForeignKey("QuarterlyUpdate", on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=200)
    name = models.CharField(max_length=200, help_text="The file's name as uploaded.")
    kind = models.CharField(max_length=10, choices=[(k, v[2]) for k, v in EVIDENCE_TYPES.items()])
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["uploaded_at", "pk"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.name} ({self.update_id})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        refuse_if_locked(self.update.period, self.update)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_if_locked(self.update.period, self.update)
        name = self.file.name
        result = super().delete(*args, **kwargs)
        # The row is gone; the file follows once the transaction holds.
        transaction.on_commit(lambda: self.file.storage.delete(name))
        return result

    @property
    def content_type(self) -> str:
        return EVIDENCE_TYPES[self.kind][1]

    @property
    def kind_label(self) -> str:
        return EVIDENCE_TYPES[self.kind][2]
