from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CspConfig(AppConfig):
    name = "csp"
    verbose_name = "CSP Tracker"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from csp import caching  # the models are ready only now

        # Every connection reports its writes, so the cache never outlives the data.
        connection_created.connect(caching.install, dispatch_uid="csp-caching-watch")
