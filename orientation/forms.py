"""Forms of the orientation pages."""

from django import forms

from .models import PrescriberListing


class ListingForm(forms.ModelForm):
    class Meta:
        model = PrescriberListing
        fields = ["is_listed", "public_address", "public_phone", "public_hours", "public_note"]
        widgets = {"public_note": forms.Textarea(attrs={"rows": 4})}
        help_texts = {
            "public_hours": "Par exemple : du lundi au vendredi, 9 h – 12 h sur rendez-vous.",
            "public_note": "Ce que la personne doit apporter, comment prendre rendez-vous.",
        }

    def clean(self):
        data = super().clean()
        if data.get("is_listed") and not (data.get("public_address") or data.get("public_phone")):
            raise forms.ValidationError(
                "Indiquez au moins une adresse ou un téléphone d'accueil pour figurer sur la "
                "page publique."
            )
        return data


class ImportForm(forms.Form):
    file = forms.FileField(label="Fichier CSV des remises")


class FacilitatorSearchForm(forms.Form):
    commune = forms.CharField(
        label="Commune (nom, code postal ou code INSEE)", max_length=100, required=False
    )
