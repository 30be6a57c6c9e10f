from django.apps import AppConfig


class OrientationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "orientation"
    verbose_name = "Orientation et suivi"
