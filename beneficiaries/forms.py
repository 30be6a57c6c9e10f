import re
from datetime import date

from django import forms
from django.db.models import Q

from geo.models import Commune, Qpv
from ledger.models import Pass
from organisations.models import Organisation
from programmes.models import Programme

from . import diagnostic
from .models import AgeBand, DiplomaLevel, Gender, QpvAnswer, SocialStatus

MONTH = re.compile(r"^\s*(\d{1,2})\s*/\s*(\d{4})\s*$")


class RecordForm(forms.Form):
    programme = forms.ModelChoiceField(
        label="Programme",
        queryset=Programme.objects.none(),
        required=False,
        empty_label="Aucun (règle « inférieur au bac »)",
        help_text="Sa règle PIC s'applique : inférieur au bac, ou jusqu'au bac inclus.",
    )
    age_band = forms.ChoiceField(
        label="Tranche d'âge", choices=AgeBand.choices, initial=AgeBand.UNKNOWN
    )
    gender = forms.ChoiceField(
        label="Genre (facultatif)", choices=Gender.choices, initial=Gender.UNKNOWN, required=False
    )
    social_status = forms.ChoiceField(
        label="Situation", choices=SocialStatus.choices, initial=SocialStatus.UNKNOWN
    )
    diploma_level = forms.ChoiceField(
        label="Niveau de diplôme", choices=DiplomaLevel.choices, initial=DiplomaLevel.UNKNOWN
    )
    job_seeker = forms.BooleanField(label="Demandeur ou demandeuse d'emploi", required=False)
    job_seeker_since = forms.CharField(
        label="Demandeur d'emploi depuis (mois, MM/AAAA)",
        required=False,
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "03/2026", "inputmode": "numeric"}),
    )
    commune = forms.CharField(
        label="Commune de résidence (code INSEE)",
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    lives_in_qpv = forms.ChoiceField(
        label="Habite un quartier prioritaire (QPV)",
        choices=QpvAnswer.choices,
        initial=QpvAnswer.UNKNOWN,
    )
    qpv = forms.CharField(
        label="Code du quartier prioritaire (facultatif)",
        required=False,
        max_length=10,
        help_text="Par exemple QN07501M ; il doit appartenir à la commune indiquée.",
    )
    contact_consent = forms.BooleanField(
        label="La personne accepte d'être recontactée pour le suivi", required=False
    )
    phone = forms.CharField(
        label="Téléphone (seulement avec son accord)", required=False, max_length=30
    )
    email = forms.EmailField(label="E-mail (seulement avec son accord)", required=False)
    notes = forms.CharField(
        label="Remarques (facultatif, sans donnée sensible)",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        programme_ids = Pass.objects.filter(
            Q(holder=organisation) | Q(beneficiary__prescriber=organisation)
        ).values("order__programme")
        self.fields["programme"].queryset = Programme.objects.filter(pk__in=programme_ids).order_by(
            "name"
        )

    def clean_job_seeker_since(self):
        value = self.cleaned_data["job_seeker_since"].strip()
        if not value:
            return None
        match = MONTH.match(value)
        if not match or not 1 <= int(match.group(1)) <= 12:
            raise forms.ValidationError("Indiquez un mois au format MM/AAAA, par exemple 03/2026.")
        return date(int(match.group(2)), int(match.group(1)), 1)

    def clean_commune(self):
        code = self.cleaned_data["commune"].strip()
        if not code:
            return None
        commune = Commune.objects.filter(pk=code).first()
        if commune is None:
            raise forms.ValidationError(f"Aucune commune n'a le code INSEE « {code} ».")
        return commune

    def clean_qpv(self):
        code = self.cleaned_data["qpv"].strip().upper()
        if not code:
            return None
        qpv = Qpv.objects.filter(pk=code).first()
        if qpv is None:
            raise forms.ValidationError(f"Aucun quartier prioritaire n'a le code « {code} ».")
        return qpv

    def clean(self):
        data = super().clean()
        if not data.get("contact_consent") and (data.get("phone") or data.get("email")):
            raise forms.ValidationError(
                "Un téléphone ou un e-mail ne s'enregistre qu'avec l'accord de la personne."
            )
        if data.get("job_seeker_since") and not data.get("job_seeker"):
            self.add_error(
                "job_seeker_since", "Cochez « demandeur d'emploi » ou laissez ce mois vide."
            )
        qpv = data.get("qpv")
        if qpv is not None:
            if data.get("lives_in_qpv") != QpvAnswer.YES:
                self.add_error("qpv", "Indiquez un quartier seulement si la personne y habite.")
            elif (
                data.get("commune") is None
                or not qpv.communes.filter(pk=data["commune"].pk).exists()
            ):
                self.add_error("qpv", f"Le quartier {qpv.code} n'est pas dans la commune indiquée.")
        return data


class DiagnosticForm(forms.Form):
    """One field per question of ``diagnostic.QUESTIONS`` (radio buttons, or boxes for goals)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for number, question in enumerate(diagnostic.QUESTIONS, start=1):
            label = f"{number}. {question.text}"
            if question.multiple:
                self.fields[question.key] = forms.MultipleChoiceField(
                    label=label,
                    choices=question.choices,
                    required=False,
                    widget=forms.CheckboxSelectMultiple,
                )
            else:
                self.fields[question.key] = forms.ChoiceField(
                    label=label,
                    choices=question.choices,
                    widget=forms.RadioSelect,
                    error_messages={"required": "Choisissez une réponse."},
                )
