"""Forms of the selection screens. Field names carry the object ids (``value_12``), so one form
covers every criterion or every application of a call."""

from django import forms
from django.core.exceptions import ValidationError

from ami.models import Application, Criterion

from .models import CommitteeMember, MemberFunction
from .services import Declaration, ScoreInput, VoteInput


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.email})" if name else obj.email


class AddMemberForm(forms.Form):
    user = UserChoiceField(
        label="Personne",
        queryset=None,
        empty_label="Choisir une personne",
        help_text="Membres du commanditaire (élus) ou du hub (personnalité qualifiée).",
        error_messages={"required": "Choisissez la personne à ajouter."},
    )
    function = forms.ChoiceField(
        label="Fonction au comité",
        choices=MemberFunction.choices,
        error_messages={"required": "Choisissez une fonction."},
    )
    title = forms.CharField(
        label="Intitulé de la fonction (facultatif)",
        max_length=250,
        required=False,
        help_text="Par exemple « Vice-président délégué à la Communication et à l'Innovation "
        "numérique ».",
    )
    political_group = forms.CharField(
        label="Groupe politique (pour un représentant de groupe)", max_length=200, required=False
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = candidates

    def clean(self):
        data = super().clean()
        if (
            data.get("function") == MemberFunction.GROUP_REPRESENTATIVE
            and not (data.get("political_group") or "").strip()
        ):
            self.add_error(
                "political_group", "Indiquez le groupe politique que cette personne représente."
            )
        return data


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: CommitteeMember) -> str:
        return f"{obj.display_name} — {obj.function_label}"


class DelegateForm(forms.Form):
    to_member = MemberChoiceField(
        label="Déléguer la présidence à",
        queryset=None,
        empty_label="Choisir un membre",
        error_messages={"required": "Choisissez le membre qui présidera le comité."},
    )
    note = forms.CharField(label="Motif (facultatif)", max_length=300, required=False)

    def __init__(self, *args, call, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_member"].queryset = CommitteeMember.objects.filter(
            call=call, is_voting=True, is_chair=False
        ).select_related("user")


CONFLICT_CHOICES = [("non", "Pas de conflit d'intérêts"), ("oui", "Conflit d'intérêts")]


class DeclarationForm(forms.Form):
    """One yes/no per application, and an optional precision."""

    def __init__(self, *args, applications: list[Application], initial_map=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.applications = applications
        initial_map = initial_map or {}
        for application in applications:
            previous = initial_map.get(application.pk)
            self.fields[f"conflict_{application.pk}"] = forms.ChoiceField(
                label=f"Candidature de {application.commune.name}",
                choices=CONFLICT_CHOICES,
                widget=forms.RadioSelect,
                initial=(None if previous is None else ("oui" if previous.has_conflict else "non")),
                error_messages={
                    "required": f"Indiquez si vous avez un conflit d'intérêts avec la candidature "
                    f"de {application.commune.name}."
                },
            )
            self.fields[f"note_{application.pk}"] = forms.CharField(
                label=f"Précision (facultative) pour {application.commune.name}",
                max_length=500,
                required=False,
                initial=previous.note if previous else "",
            )

    def rows(self):
        for application in self.applications:
            yield (
                application,
                self[f"conflict_{application.pk}"],
                self[f"note_{application.pk}"],
            )

    def declarations(self) -> list[Declaration]:
        return [
            Declaration(
                application_id=a.pk,
                has_conflict=self.cleaned_data[f"conflict_{a.pk}"] == "oui",
                note=self.cleaned_data.get(f"note_{a.pk}") or "",
            )
            for a in self.applications
        ]


class ScoreForm(forms.Form):
    def __init__(self, *args, criteria: list[Criterion], score_max: int, initial_map=None, **kw):
        super().__init__(*args, **kw)
        self.criteria = criteria
        initial_map = initial_map or {}
        choices = [("", "—")] + [(str(i), str(i)) for i in range(score_max + 1)]
        for criterion in criteria:
            previous = initial_map.get(criterion.pk)
            self.fields[f"value_{criterion.pk}"] = forms.TypedChoiceField(
                label=f"Note (0 à {score_max})",
                choices=choices,
                coerce=int,
                initial=None if previous is None else str(previous.value),
                error_messages={
                    "required": f"Notez le critère « {criterion.label} ».",
                    "invalid_choice": f"La note doit être comprise entre 0 et {score_max}.",
                },
            )
            self.fields[f"comment_{criterion.pk}"] = forms.CharField(
                label="Commentaire",
                required=False,
                max_length=4000,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial=previous.comment if previous else "",
            )

    def rows(self):
        for criterion in self.criteria:
            yield criterion, self[f"value_{criterion.pk}"], self[f"comment_{criterion.pk}"]

    def scores(self) -> list[ScoreInput]:
        return [
            ScoreInput(
                criterion_id=c.pk,
                value=self.cleaned_data[f"value_{c.pk}"],
                comment=self.cleaned_data.get(f"comment_{c.pk}") or "",
            )
            for c in self.criteria
        ]


class ProposalForm(forms.Form):
    comment = forms.CharField(
        label="Commentaire du comité",
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Motivation de la liste : critères, diversité des terrains retenus.",
    )

    def __init__(self, *args, applications: list[Application], planned: dict[int, int], **kw):
        super().__init__(*args, **kw)
        self.applications = applications
        for application in applications:
            self.fields[f"include_{application.pk}"] = forms.BooleanField(
                label=f"Proposer {application.commune.name}",
                required=False,
                initial=application.pk in planned,
            )
            self.fields[f"booklets_{application.pk}"] = forms.IntegerField(
                label=f"Carnets prévus pour {application.commune.name}",
                required=False,
                min_value=1,
                max_value=1_000_000,
                initial=planned.get(application.pk, application.booklets_requested),
                error_messages={
                    "min_value": "Au moins un carnet.",
                    "invalid": "Un nombre entier de carnets.",
                },
            )

    def fields_for(self, application: Application):
        return self[f"include_{application.pk}"], self[f"booklets_{application.pk}"]

    def clean(self):
        data = super().clean()
        for application in self.applications:
            if data.get(f"include_{application.pk}") and not data.get(f"booklets_{application.pk}"):
                self.add_error(
                    f"booklets_{application.pk}",
                    f"Indiquez le nombre de carnets prévus pour {application.commune.name}.",
                )
        return data

    def items(self) -> dict[int, int]:
        return {
            a.pk: self.cleaned_data[f"booklets_{a.pk}"]
            for a in self.applications
            if self.cleaned_data.get(f"include_{a.pk}")
        }


class VoteForm(forms.Form):
    voted_on = forms.DateField(
        label="Date du vote du Bureau",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": "Indiquez la date du vote.", "invalid": "Date invalide."},
    )
    deliberation_number = forms.CharField(
        label="Numéro de délibération",
        max_length=50,
        error_messages={"required": "Indiquez le numéro de la délibération."},
    )
    votes_for = forms.IntegerField(
        label="Voix pour", min_value=0, error_messages={"min_value": "Un nombre positif ou nul."}
    )
    votes_against = forms.IntegerField(
        label="Voix contre", min_value=0, error_messages={"min_value": "Un nombre positif ou nul."}
    )
    votes_abstaining = forms.IntegerField(
        label="Abstentions", min_value=0, error_messages={"min_value": "Un nombre positif ou nul."}
    )
    selected = forms.MultipleChoiceField(
        label="Candidatures retenues par le Bureau",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Par défaut, la proposition du comité.",
    )

    def __init__(self, *args, applications: list[Application], **kw):
        super().__init__(*args, **kw)
        self.fields["selected"].choices = [(str(a.pk), a.commune.name) for a in applications]

    def clean_deliberation_number(self) -> str:
        value = self.cleaned_data["deliberation_number"].strip()
        if not value:
            raise ValidationError("Indiquez le numéro de la délibération.")
        return value

    def vote_input(self) -> VoteInput:
        data = self.cleaned_data
        return VoteInput(
            voted_on=data["voted_on"],
            deliberation_number=data["deliberation_number"],
            votes_for=data["votes_for"],
            votes_against=data["votes_against"],
            votes_abstaining=data["votes_abstaining"],
            selected_ids=[int(x) for x in data["selected"]],
        )
