from django.apps import AppConfig


class CspConfig(AppConfig):
    name = "csp"
    verbose_name = "CSP Tracker"
    default_auto_field = "django.db.models.BigAutoField"
