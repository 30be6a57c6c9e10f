"""The directory's search form (GET): every choice is checked against its vocabulary."""

from django import forms

from operators.models import Service

from .queries import ACCESSIBILITY, MAX_INSEE_CODES, PUBLICS, DirectoryFilters


class DirectorySearchForm(forms.Form):
    commune = forms.CharField(
        label="Commune (nom, code postal ou code INSEE)", max_length=100, required=False
    )
    service = forms.ChoiceField(
        label="Service",
        required=False,
        choices=[("", "Tous les services"), *Service.Theme.choices],
    )
    public = forms.ChoiceField(
        label="Public", required=False, choices=[("", "Tous les publics"), *PUBLICS]
    )
    accessibilite = forms.ChoiceField(
        label="Accessibilité",
        required=False,
        choices=[("", "Indifférent"), *ACCESSIBILITY],
    )
    tous = forms.BooleanField(
        label="Montrer aussi les lieux qui n'acceptent pas les pass", required=False
    )
    insee = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)

    def clean_insee(self) -> list[str]:
        raw = self.cleaned_data.get("insee") or ""
        codes = [c.strip().upper() for c in raw.split(",") if c.strip()]
        if len(codes) > MAX_INSEE_CODES:
            raise forms.ValidationError(f"Trop de communes demandées (au plus {MAX_INSEE_CODES}).")
        for code in codes:
            if len(code) != 5 or not code.isalnum():
                raise forms.ValidationError(f"Code INSEE invalide : « {code} ».")
        return codes

    def filters(self) -> DirectoryFilters:
        data = self.cleaned_data
        return DirectoryFilters(
            commune=data.get("commune") or "",
            insee_codes=data.get("insee") or [],
            service=data.get("service") or "",
            public=data.get("public") or "",
            accessibility=data.get("accessibilite") or "",
            accepts_passes=not data.get("tous"),
        )
