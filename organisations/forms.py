import re

from django import forms

from geo.models import Commune

from .models import Organisation, Role
from .validators import normalise_siret, validate_siret


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail de la personne à inviter")
    role = forms.ChoiceField(
        label="Rôle",
        choices=Role.choices,
        initial=Role.MEMBER,
        help_text=(
            "Administrateur : gère les membres et tout l'espace. Membre : agit au nom de "
            "l'organisation. Lecture seule : consulte sans rien modifier."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)


class OrganisationForm(forms.ModelForm):
    """An administrator edits the organisation's details. Colour and logo are for funders."""

    commune = forms.ModelChoiceField(
        label="Commune (code INSEE)",
        queryset=Commune.objects.all(),
        to_field_name="insee_code",
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "maxlength": 5}),
        error_messages={"invalid_choice": "Ce code INSEE ne correspond à aucune commune connue."},
        help_text="5 caractères, par exemple 93001 pour Aubervilliers ou 75113 pour Paris 13e.",
    )

    siret = forms.CharField(
        label="SIRET",
        required=False,
        max_length=20,
        help_text="14 chiffres ; laissez vide si la structure n'en a pas.",
    )

    website = forms.URLField(label="Site web", required=False, assume_scheme="https")

    class Meta:
        model = Organisation
        fields = [
            "name",
            "siret",
            "legal_category",
            "address",
            "postal_code",
            "city",
            "commune",
            "email",
            "phone",
            "website",
            "brand_colour",
            "logo",
        ]
        widgets = {"brand_colour": forms.TextInput(attrs={"placeholder": "#0b5394"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.commune_id:
            self.initial["commune"] = self.instance.commune_id
        if self.instance.kind != Organisation.Kind.FUNDER:
            del self.fields["brand_colour"]
            del self.fields["logo"]

    def clean_siret(self):
        value = normalise_siret(self.cleaned_data.get("siret") or "")
        if value:
            validate_siret(value)
        return value or None

    def clean_brand_colour(self):
        value = (self.cleaned_data.get("brand_colour") or "").strip()
        if value and not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise forms.ValidationError(
                "Indiquez une couleur au format #RRGGBB, par exemple #0b5394."
            )
        return value.lower()
