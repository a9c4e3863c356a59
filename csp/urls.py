from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import path

from csp.ratelimit import rate_limited
from csp.views import (
    actions,
    agencies,
    agency_report,
    evidence,
    imports,
    links,
    periods,
    plan_files,
    plans,
    reports,
    updates,
)

# Checking a password is slow on purpose: one address may not make the server check thousands.
sign_in = rate_limited("sign-in", "tried to sign in", methods=("POST",))

urlpatterns = [
    path("", plans.home, name="home"),
    path("plans/template.xlsx", plan_files.plan_template, name="plan-template"),
    path("plans/<slug:slug>/", plans.dashboard, name="plan-dashboard"),
    path("plans/<slug:slug>/export.xlsx", plan_files.plan_export_xlsx, name="plan-export-xlsx"),
    path("plans/<slug:slug>/export.csv", plan_files.plan_export_csv, name="plan-export-csv"),
    path("plans/<slug:slug>/periods/new/", periods.period_new, name="period-new"),
    path("periods/<int:pk>/", periods.period_review, name="period-review"),
    path("periods/<int:pk>/close/", periods.period_close, name="period-close"),
    path("periods/<int:pk>/reopen/", periods.period_reopen, name="period-reopen"),
    path("periods/<int:pk>/report/", periods.period_report, name="period-report"),
    path("periods/<int:pk>/accept-all/", periods.accept_all, name="review-accept-all"),
    path("periods/<int:pk>/remind/", periods.remind_now, name="review-remind"),
    path("periods/<int:pk>/links/", links.period_links, name="period-links"),
    path(
        "periods/<int:pk>/links/<int:link_pk>/revoke/", links.revoke_link, name="period-link-revoke"
    ),
    path("periods/<int:pk>/links/<int:link_pk>/send/", links.resend_link, name="period-link-send"),
    # A partner's personal link: its token is the key, so it is the whole of the address.
    path("links/<int:pk>/<str:token>/", links.personal_link, name="personal-link"),
    path(
        "links/<int:pk>/<str:token>/evidence/<int:evidence_pk>/",
        evidence.link_evidence_file,
        name="personal-link-evidence",
    ),
    path("evidence/<int:pk>/", evidence.evidence_file, name="evidence"),
    path(
        "periods/<int:pk>/updates/<int:update_pk>/accept/",
        periods.update_accept,
        name="review-accept",
    ),
    path(
        "periods/<int:pk>/updates/<int:update_pk>/return/",
        periods.update_return,
        name="review-return",
    ),
    path(
        "periods/<int:pk>/updates/<int:update_pk>/comment/",
        periods.update_comment,
        name="review-comment",
    ),
    path(
        "periods/<int:pk>/updates/<int:update_pk>/amend/",
        periods.update_amend,
        name="review-amend",
    ),
    path("partnerships/<slug:slug>/import/", imports.upload, name="plan-import"),
    path(
        "partnerships/<slug:slug>/import/<str:token>/", imports.preview, name="plan-import-preview"
    ),
    path(
        "partnerships/<slug:slug>/import/<str:token>/job/",
        imports.import_job,
        name="plan-import-job",
    ),
    path("actions/", actions.action_list, name="action-list"),
    path("actions/export.csv", actions.action_export_csv, name="action-export-csv"),
    path("actions/export.xlsx", actions.action_export_xlsx, name="action-export-xlsx"),
    path("actions/<int:pk>/", actions.action_detail, name="action-detail"),
    path("actions/<int:pk>/follow/", actions.action_follow, name="action-follow"),
    path("agencies/", agencies.agency_list, name="agency-list"),
    path("agencies/<slug:slug>/", agencies.agency_detail, name="agency-detail"),
    path(
        "agencies/<slug:slug>/report.pdf",
        agency_report.agency_report_pdf,
        name="agency-report",
    ),
    path(
        "agencies/<slug:slug>/report/<int:pk>/",
        agency_report.agency_report_render,
        name="agency-report-render",
    ),
    path(
        "agencies/<slug:slug>/report/<int:pk>/report.pdf",
        agency_report.agency_report_render_pdf,
        name="agency-report-render-pdf",
    ),
    path("updates/", updates.my_updates, name="my-updates"),
    path("updates/<int:pk>/", updates.period_updates, name="period-updates"),
    path("reports/", reports.report_list, name="report-list"),
    path("reports/new/", reports.report_new, name="report-new"),
    path("reports/<int:pk>/", reports.report_detail, name="report-detail"),
    path("reports/<int:pk>/report.pdf", reports.report_pdf, name="report-pdf"),
    path("reports/<int:pk>/preview/", reports.report_preview, name="report-preview"),
    path(
        "reports/<int:pk>/ask-to-close/",
        reports.report_ask_to_close,
        name="report-ask-to-close",
    ),
    path("reports/<int:pk>/renders/", reports.report_render_new, name="report-render-new"),
    path("reports/<int:pk>/renders/<int:render_pk>/", reports.report_render, name="report-render"),
    path(
        "reports/<int:pk>/renders/<int:render_pk>/report.pdf",
        reports.report_render_pdf,
        name="report-render-pdf",
    ),
    path("accounts/sign-in/", sign_in(auth_views.LoginView.as_view()), name="login"),
    path("accounts/sign-out/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        rate_limited("password-reset", "asked for password reset e-mails", methods=("POST",))(
            auth_views.PasswordResetView.as_view(
                subject_template_name="registration/password_reset_subject.txt"
            )
        ),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    # The admin's own sign-in checks passwords too: the same limit, ahead of its urls.
    path("admin/login/", sign_in(admin.site.login)),
    path("admin/", admin.site.urls),
]
