from django.apps import AppConfig


class AmiConfig(AppConfig):
    name = "ami"
    verbose_name = "Appels à manifestation d'intérêt"
