from django import forms

from .models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Nom du jeton",
        max_length=ApiToken.NAME_MAX_LENGTH,
        help_text="Pour le reconnaître plus tard, par exemple « Tableau de bord mensuel ».",
        error_messages={"required": "Donnez un nom au jeton."},
    )

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()
