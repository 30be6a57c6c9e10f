"""Forms of the AMI app (French messages). Dates are typed and shown in Europe/Paris."""

import re
from datetime import UTC, datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from geo.models import Commune
from organisations.models import Organisation

from . import services
from .models import Application, HubOpinion
from .queries import PARIS

DATETIME_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %Hh%M", "%d/%m/%Y à %H:%M", "%Y-%m-%dT%H:%M"]
DISPLAY_FORMAT = "%d/%m/%Y %H:%M"


def parse_paris_datetime(raw: str) -> datetime:
    """« 31/10/2021 20:00 » typed by a user → an aware datetime in Europe/Paris. A time that
    does not exist (spring change) or exists twice (autumn change) is refused."""
    raw = " ".join((raw or "").split())
    for fmt in DATETIME_FORMATS:
        try:
            naive = datetime.strptime(raw, fmt)  # noqa: DTZ007 — made aware just below
        except ValueError:
            continue
        aware = naive.replace(tzinfo=PARIS)
        if aware.astimezone(UTC).astimezone(PARIS).replace(tzinfo=None) != naive:
            raise forms.ValidationError(
                "Cette heure n'existe pas à Paris (passage à l'heure d'été) : choisissez-en une "
                "autre.",
                code="nonexistent",
            )
        if aware.utcoffset() != naive.replace(tzinfo=PARIS, fold=1).utcoffset():
            raise forms.ValidationError(
                "Cette heure existe deux fois à Paris (passage à l'heure d'hiver) : choisissez-en "
                "une autre.",
                code="ambiguous",
            )
        return aware
    raise forms.ValidationError(
        "Date et heure invalides : écrivez-les sous la forme 15/10/2021 20:00.", code="invalid"
    )


class ParisDateTimeField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", "Heure de Paris, sous la forme JJ/MM/AAAA HH:MM.")
        super().__init__(**kwargs)
        self.widget.attrs["maxlength"] = 30

    def prepare_value(self, value):
        if isinstance(value, datetime):
            return value.astimezone(PARIS).strftime(DISPLAY_FORMAT)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        if len(value) > 30:
            raise forms.ValidationError(
                "Date et heure invalides : écrivez-les sous la forme 15/10/2021 20:00.",
                code="invalid",
            )
        return parse_paris_datetime(value)


class CommuneCodesField(forms.CharField):
    """INSEE codes separated by spaces, commas or new lines → communes (all must exist)."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return " ".join(c.insee_code if isinstance(c, Commune) else str(c) for c in value)
        return value

    def to_python(self, value):
        value = super().to_python(value)
        codes = []
        for code in re.split(r"[\s,;]+", (value or "").upper()):
            if code and code not in codes:
                codes.append(code)
        if not codes:
            return []
        bad = [c for c in codes if not re.fullmatch(r"[0-9][0-9AB][0-9]{3}", c)]
        if bad:
            raise forms.ValidationError(
                "Codes INSEE invalides : " + ", ".join(bad[:10]) + " (cinq caractères, ex. 93055)."
            )
        communes = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=codes)}
        unknown = [c for c in codes if c not in communes]
        if unknown:
            raise forms.ValidationError(
                "Communes inconnues du référentiel : " + ", ".join(unknown[:10]) + "."
            )
        return [communes[c] for c in codes]


class CallForm(forms.Form):
    programme = forms.ModelChoiceField(
        label="Programme", queryset=None, empty_label=None, required=True
    )
    title = forms.CharField(label="Titre de l'appel", max_length=250)
    body = forms.CharField(
        label="Texte de l'appel",
        required=False,
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=(
            "HTML simple : paragraphes (balise p), titres (h2, h3), listes (ul, ol, li), gras "
            "(strong), italique (em), liens (a href). Tout le reste est retiré à l'enregistrement."
        ),
    )
    opens_at = ParisDateTimeField(label="Ouverture des candidatures")
    deadline = ParisDateTimeField(
        label="Date limite de dépôt",
        help_text=(
            "Heure de Paris, sous la forme JJ/MM/AAAA HH:MM. Un dépôt à cette heure exacte ou "
            "après est refusé."
        ),
    )
    contact_email = forms.EmailField(label="Adresse de contact", required=False)
    hub = forms.ModelChoiceField(
        label="Hub territorial (rend un avis sur chaque candidature)",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="Aucun hub",
    )
    eligible_communes = CommuneCodesField(
        label="Communes éligibles (codes INSEE)",
        help_text="Par défaut, les communes membres du commanditaire.",
    )
    excluded_communes = CommuneCodesField(
        label="Communes exclues (codes INSEE)",
        required=False,
        help_text="Par défaut, les communes déjà territoires d'expérimentation du programme.",
    )
    required_documents = forms.CharField(
        label="Pièces demandées",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=(
            "Une pièce par ligne : « Libellé — précision ». Ajoutez « (facultatif) » en fin de "
            "ligne pour une pièce non obligatoire. Chaque pièce est un PDF."
        ),
    )
    criteria = forms.CharField(
        label="Critères d'évaluation",
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text="Un critère par ligne, dans l'ordre de la grille.",
    )
    max_document_megabytes = forms.IntegerField(
        label="Taille maximale d'une pièce (Mo)", min_value=1, max_value=50, initial=10
    )

    def __init__(self, *args, funder: Organisation, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = funder.programmes.order_by("-starts_on", "name")
        self.fields["hub"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.HUB, is_active=True
        ).order_by("name")
        if editing:
            del self.fields["programme"]
        for name in ("opens_at", "deadline"):
            self.fields[name].widget.attrs.update(
                {"placeholder": "JJ/MM/AAAA HH:MM", "inputmode": "numeric", "autocomplete": "off"}
            )

    def clean_required_documents(self):
        documents = services.parse_documents(self.cleaned_data["required_documents"])
        if not documents:
            raise forms.ValidationError("Indiquez au moins une pièce.")
        return documents

    def clean_criteria(self):
        criteria = [line[:300] for line in services.parse_lines(self.cleaned_data["criteria"])]
        if not criteria:
            raise forms.ValidationError("Indiquez au moins un critère.")
        return criteria

    def clean(self):
        cleaned = super().clean()
        opens_at, deadline = cleaned.get("opens_at"), cleaned.get("deadline")
        if opens_at and deadline and deadline <= opens_at:
            self.add_error(
                "deadline", "La date limite doit être postérieure à l'ouverture des candidatures."
            )
        return cleaned

    def call_data(self) -> services.CallData:
        data = self.cleaned_data
        return services.CallData(
            title=data["title"],
            body=data["body"],
            opens_at=data["opens_at"],
            deadline=data["deadline"],
            contact_email=data["contact_email"],
            hub=data["hub"],
            eligible_communes=data["eligible_communes"],
            excluded_communes=data["excluded_communes"],
            required_documents=data["required_documents"],
            criteria=data["criteria"],
            max_document_bytes=data["max_document_megabytes"] * 1024 * 1024,
        )


YES_NO_UNKNOWN = [("unknown", "Non précisé"), ("true", "Oui"), ("false", "Non")]


class TriStateSelect(forms.NullBooleanSelect):
    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = YES_NO_UNKNOWN


SECTION_HELP = {
    "inclusion_issues": "Critère 1 : les problématiques d'inclusion numérique de la commune.",
    "network_diagnosis": (
        "Critère 2 : le niveau de structuration des réseaux d'acteurs de l'inclusion numérique "
        "présents sur la commune."
    ),
    "pass_fit": ("Critère 3 : en quoi les pass numériques répondent aux problématiques décrites."),
    "pic_strategy": (
        "Critère 4 : comment la moitié des pass reçus sera distribuée à des publics cibles du "
        "Plan d'investissement dans les compétences (PIC)."
    ),
    "qpv_strategy": (
        "Critère 5, si pertinent : publics en précarité numérique des quartiers prioritaires, "
        "lieux de prescription dans ces quartiers."
    ),
    "planned_prescribers": "Structures qui distribueront les carnets (CCAS, centres sociaux…).",
    "planned_operators": "Structures locales proposant des services d'accompagnement numérique.",
}


class ApplicationForm(forms.ModelForm):
    class Meta:
        model = Application
        fields = services.SECTION_FIELDS
        widgets = {
            "inclusion_issues": forms.Textarea(attrs={"rows": 5}),
            "network_diagnosis": forms.Textarea(attrs={"rows": 5}),
            "pass_fit": forms.Textarea(attrs={"rows": 5}),
            "pic_strategy": forms.Textarea(attrs={"rows": 5}),
            "qpv_strategy": forms.Textarea(attrs={"rows": 4}),
            "planned_prescribers": forms.Textarea(attrs={"rows": 3}),
            "planned_operators": forms.Textarea(attrs={"rows": 3}),
            "cnfs_requested": TriStateSelect(),
            "cnfs_mobilised": TriStateSelect(),
        }
        help_texts = SECTION_HELP

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        booklets = self.fields["booklets_requested"]
        booklets.validators += [MinValueValidator(1), MaxValueValidator(100_000)]
        booklets.widget.attrs.update({"min": 1, "max": 100_000})
        self.fields["referent_email"].widget.attrs["autocomplete"] = "email"
        self.fields["referent_phone"].widget.attrs["autocomplete"] = "tel"
        self.fields["referent_phone"].widget.input_type = "tel"


class DocumentForm(forms.Form):
    file = forms.FileField(label="Fichier PDF")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = "application/pdf,.pdf"
        self.fields["file"].error_messages["required"] = "Choisissez un fichier PDF."


class HubOpinionForm(forms.ModelForm):
    class Meta:
        model = HubOpinion
        fields = ["verdict", "text"]
        widgets = {"verdict": forms.RadioSelect, "text": forms.Textarea(attrs={"rows": 6})}
        labels = {"verdict": "Avis du hub", "text": "Motivation"}
        help_texts = {
            "text": "Transmise au comité d'examen. La commune ne la lit qu'après la décision."
        }
