from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def pass_code_keys_are_set_apart(app_configs, **kwargs):
    """The pass-code keys must be real secrets of their own, never the SECRET_KEY."""
    errors = []
    for key_id, secret in settings.PASS_CODE_KEYS.items():
        if secret == settings.SECRET_KEY:
            errors.append(
                Error(
                    f"La clé de codes de pass « {key_id} » est identique à SECRET_KEY.",
                    hint="Générez une clé distincte pour PASS_CODE_KEYS.",
                    id="passnum.E001",
                )
            )
        if secret.startswith("dev-only-insecure"):
            errors.append(
                Error(
                    f"La clé de codes de pass « {key_id} » est la clé de développement.",
                    hint="Définissez PASS_CODE_KEYS dans l'environnement de production.",
                    id="passnum.E002",
                )
            )
    return errors
