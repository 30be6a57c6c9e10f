"""Forms of the territories' follow-up (French labels and messages). They check input; the
business rules are in ``followup.services``."""

from django import forms
from django.core.validators import MaxLengthValidator

from .models import MINUTES_MAX_BYTES, Audience, ExperienceFeedback
from .richtext import MAX_CHARS
from .services import FollowupError, check_pdf

DATETIME_INPUT_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M"]


class ParisDateTimeField(forms.DateTimeField):
    """A date and time typed in Paris time (the site's time zone), with the browser's picker."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    input_formats = DATETIME_INPUT_FORMATS
    default_error_messages = {
        "invalid": "Saisissez une date et une heure valides (par exemple 18/11/2021 14:00)."
    }


class OrganisationChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        commune = obj.commune.name if obj.commune_id else ""
        return f"{obj.name} ({obj.get_kind_display()}{', ' + commune if commune else ''})"


class TerritoryChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.commune.name} — {obj.municipality.name}"


class ReferentsForm(forms.Form):
    referents = forms.ModelMultipleChoiceField(
        label="Référents du territoire",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Membres actifs de la collectivité. Aucune case cochée : pas de référent.",
        error_messages={"invalid_choice": "Choisissez les référents parmi les membres actifs."},
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["referents"]
        field.queryset = candidates
        field.label_from_instance = lambda u: (
            f"{u.get_full_name()} ({u.email})" if u.get_full_name() else u.email
        )


class MinutesFields(forms.Form):
    """Minutes as text (HTML subset or plain text) and/or a PDF."""

    minutes_text = forms.CharField(
        label="Compte rendu",
        required=False,
        max_length=MAX_CHARS,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=(
            "Texte simple, ou HTML limité (paragraphes, listes, gras, italique, liens, "
            "tableaux) : le reste est retiré à l'enregistrement."
        ),
        error_messages={"max_length": "Le compte rendu compte au plus 50 000 caractères."},
    )
    minutes_pdf = forms.FileField(
        label="Compte rendu en PDF (facultatif)",
        required=False,
        help_text=f"PDF seulement, {MINUTES_MAX_BYTES // (1024 * 1024)} Mo au plus.",
    )
    remove_pdf = forms.BooleanField(label="Retirer le PDF actuel", required=False)

    def clean_minutes_pdf(self):
        upload = self.cleaned_data.get("minutes_pdf")
        if upload:
            try:
                check_pdf(upload)
            except FollowupError as exc:
                raise forms.ValidationError(str(exc), code="bad_pdf") from exc
        return upload


def _place_check(form: forms.Form, what: str) -> None:
    data = form.cleaned_data
    if not data.get("is_remote") and not (data.get("place") or "").strip():
        form.add_error("place", f"Indiquez le lieu {what}, ou cochez « à distance ».")


def _territories_field(label: str, required: str) -> TerritoryChoiceField:
    return TerritoryChoiceField(
        label=label,
        queryset=None,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": required,
            "invalid_choice": "Choisissez les territoires dans la liste.",
        },
    )


class _ProgrammeEventForm(forms.Form):
    """A training or a meeting: a programme among ``programmes``, territories among
    ``territories`` (all of that programme), a place unless remote."""

    territories_field: str
    place_of: str

    def __init__(self, *args, programmes, territories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields[self.territories_field].queryset = territories

    def clean(self):
        cleaned = super().clean()
        _place_check(self, self.place_of)
        programme, chosen = cleaned.get("programme"), cleaned.get(self.territories_field)
        if programme and chosen and any(t.programme_id != programme.pk for t in chosen):
            self.add_error(
                self.territories_field, "Les territoires doivent appartenir au programme choisi."
            )
        return cleaned


class TrainingForm(_ProgrammeEventForm):
    territories_field = "territories"
    place_of = "de la session"

    programme = forms.ModelChoiceField(label="Programme", queryset=None, empty_label=None)
    audience = forms.ChoiceField(label="Public", choices=Audience.choices, widget=forms.RadioSelect)
    title = forms.CharField(label="Intitulé", max_length=200)
    starts_at = ParisDateTimeField(label="Date et heure (heure de Paris)")
    duration_minutes = forms.IntegerField(
        label="Durée (minutes)",
        min_value=15,
        max_value=24 * 60,
        error_messages={
            "min_value": "Une session dure au moins 15 minutes.",
            "max_value": "Une session dure au plus 24 heures (1440 minutes).",
        },
    )
    is_remote = forms.BooleanField(label="À distance", required=False)
    place = forms.CharField(label="Lieu", max_length=250, required=False)
    trainer = forms.CharField(label="Formateur ou formatrice", max_length=200)
    description = forms.CharField(
        label="Contenu de la session",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    territories = _territories_field(
        "Territoires concernés", "Choisissez au moins un territoire concerné."
    )


class TrainingAttendanceForm(forms.Form):
    registered = forms.MultipleChoiceField(label="Inscrites", required=False)
    attended = forms.MultipleChoiceField(label="Présentes", required=False)
    registered_names = forms.CharField(
        label="Personnes inscrites sans compte (une par ligne)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    attended_names = forms.CharField(
        label="Personnes présentes sans compte (une par ligne)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Une personne présente sans inscription compte comme venue sur place.",
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.candidates = {str(o.pk): o for o in candidates}
        choices = [(str(o.pk), o.name) for o in candidates]
        for name in ("registered", "attended"):
            self.fields[name].choices = choices
            self.fields[name].error_messages["invalid_choice"] = (
                "Choisissez les structures dans la liste des territoires concernés."
            )

    def organisations(self, field: str) -> list:
        return [self.candidates[pk] for pk in self.cleaned_data.get(field, [])]

    @staticmethod
    def names(text: str) -> list[str]:
        return [line for line in (text or "").splitlines() if line.strip()]


class CommitteeForm(MinutesFields):
    held_at = ParisDateTimeField(label="Date et heure (heure de Paris)")
    is_remote = forms.BooleanField(label="À distance", required=False)
    place = forms.CharField(label="Lieu", max_length=250, required=False)
    agenda = forms.CharField(
        label="Ordre du jour", max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    field_order = ["held_at", "is_remote", "place", "agenda"]

    def clean(self):
        cleaned = super().clean()
        _place_check(self, "du comité")
        return cleaned


class CommitteeAttendanceForm(forms.Form):
    present = OrganisationChoiceField(
        label="Structures présentes",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choisissez les structures dans la liste."},
    )
    names = forms.CharField(
        label="Autres personnes présentes (une par ligne)",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Par exemple un élu ou un partenaire sans compte sur la plateforme.",
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        from organisations.models import Organisation

        self.fields["present"].queryset = Organisation.objects.filter(
            pk__in=[o.pk for o in candidates]
        ).select_related("commune")


YES_NO_UNKNOWN = [("", "Pas encore décidé"), ("true", "Oui"), ("false", "Non")]


class FeedbackForm(forms.ModelForm):
    would_continue = forms.TypedChoiceField(
        label="La commune souhaite-t-elle poursuivre le dispositif ?",
        choices=YES_NO_UNKNOWN,
        coerce=lambda v: v == "true",
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )

    class Meta:
        model = ExperienceFeedback
        fields = [
            "booklets_distributed",
            "passes_distributed",
            "people_reached",
            "pic_people",
            "qpv_people",
            "publics_comment",
            "prescribers_mobilised",
            "operators_mobilised",
            "actors_comment",
            "what_worked",
            "difficulties",
            "suggestions",
            "would_continue",
        ]
        labels = {
            "booklets_distributed": "Carnets confiés aux prescripteurs",
            "passes_distributed": "Pass remis aux publics",
            "people_reached": "Personnes accompagnées",
            "pic_people": "Dont publics PIC",
            "qpv_people": "Dont habitants des quartiers prioritaires (QPV)",
            "publics_comment": "Les publics atteints (commentaire)",
            "prescribers_mobilised": "Structures prescriptrices mobilisées",
            "operators_mobilised": "Opérateurs mobilisés",
            "actors_comment": "Le réseau d'acteurs (commentaire)",
            "what_worked": "Ce qui a fonctionné",
            "difficulties": "Les difficultés rencontrées",
            "suggestions": "Vos suggestions",
        }
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in (
                "publics_comment",
                "actors_comment",
                "what_worked",
                "difficulties",
                "suggestions",
            )
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.IntegerField):
                field.min_value = 0
                field.widget.attrs["min"] = 0
                field.error_messages["min_value"] = "Saisissez un nombre positif ou nul."
                field.error_messages["invalid"] = "Saisissez un nombre entier."
            if isinstance(field.widget, forms.Textarea):
                field.validators.append(
                    MaxLengthValidator(5000, message="5 000 caractères au plus.")
                )
                field.widget.attrs["maxlength"] = 5000
        instance = kwargs.get("instance")
        if instance is not None and instance.would_continue is not None:
            self.initial["would_continue"] = "true" if instance.would_continue else "false"

    def clean(self):
        cleaned = super().clean()
        people = cleaned.get("people_reached")
        for field, label in (("pic_people", "publics PIC"), ("qpv_people", "habitants des QPV")):
            part = cleaned.get(field)
            if people is not None and part is not None and part > people:
                self.add_error(
                    field, f"Le nombre de {label} dépasse celui des personnes accompagnées."
                )
        return cleaned

    def _post_clean(self):
        # The model's constraints are checked by the service, in its transaction.
        pass


class MeetingForm(_ProgrammeEventForm, MinutesFields):
    territories_field = "invited"
    place_of = "de la réunion"

    programme = forms.ModelChoiceField(label="Programme", queryset=None, empty_label=None)
    topic = forms.CharField(label="Thème", max_length=250)
    held_at = ParisDateTimeField(label="Date et heure (heure de Paris)")
    is_remote = forms.BooleanField(label="À distance", required=False)
    place = forms.CharField(label="Lieu", max_length=250, required=False)
    agenda = forms.CharField(
        label="Ordre du jour",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    invited = _territories_field("Territoires invités", "Invitez au moins un territoire.")

    field_order = ["programme", "topic", "held_at", "is_remote", "place", "agenda", "invited"]


class MeetingPresenceForm(forms.Form):
    present = TerritoryChoiceField(
        label="Territoires présents",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Choisissez parmi les territoires invités."},
    )

    def __init__(self, *args, territories, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["present"].queryset = territories
