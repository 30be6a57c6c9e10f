from datetime import date, timedelta

from django import forms

from operators.forms import BankAccountForm
from programmes.models import Programme

from .calendar import MAX_EXECUTION_DAYS, execution_date_problem
from .services import default_execution_date, paris_today


def last_day_of_previous_month(today: date) -> date:
    return today.replace(day=1) - timedelta(days=1)


class PrepareRunForm(forms.Form):
    programme = forms.ModelChoiceField(
        label="Programme",
        queryset=Programme.objects.none(),
        empty_label=None,
        error_messages={"invalid_choice": "Choisissez un programme que vous payez."},
    )
    period_end = forms.DateField(
        label="Fin de la période",
        help_text=(
            "La campagne reprend tous les pass utilisés jusqu'à ce jour inclus (heure de Paris) "
            "et pas encore payés, y compris ceux d'une ligne rejetée."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide.", "required": "Indiquez une date."},
    )

    def __init__(self, *args, programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = (
            programmes if programmes is not None else Programme.objects.none()
        )
        if not self.is_bound:
            self.initial.setdefault("period_end", last_day_of_previous_month(paris_today()))

    def clean_period_end(self) -> date:
        value = self.cleaned_data["period_end"]
        if value > paris_today():
            raise forms.ValidationError("La fin de période ne peut pas être dans le futur.")
        return value


class ExportRunForm(forms.Form):
    """The SEPA export: the date the paying agent asks its bank to execute the transfers."""

    execution_date = forms.DateField(
        label="Date d'exécution demandée",
        help_text=(
            "Le jour où la banque exécute les virements (ReqdExctnDt du fichier) : un jour "
            "ouvré TARGET2 (ni samedi, ni dimanche, ni 1er janvier, Vendredi saint, lundi de "
            f"Pâques, 1er mai, 25 et 26 décembre), au plus tard dans {MAX_EXECUTION_DAYS} jours."
        ),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": "Saisissez une date d'exécution valide.",
            "required": "Indiquez la date d'exécution demandée.",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("execution_date", default_execution_date())

    def clean_execution_date(self) -> date:
        value = self.cleaned_data["execution_date"]
        problem = execution_date_problem(value, paris_today())
        if problem:
            raise forms.ValidationError(problem)
        return value


class MarkPaidForm(forms.Form):
    """``run``: the exported run; a SEPA run cannot be paid before its requested execution date
    (the date offered by default, and the earliest one accepted)."""

    paid_on = forms.DateField(
        label="Date du versement",
        help_text="La date à laquelle la banque (ou le comptable public) a payé les opérateurs.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide.", "required": "Indiquez une date."},
    )

    def __init__(self, *args, run=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.execution_date = run.execution_date if run is not None else None
        field = self.fields["paid_on"]
        if self.execution_date is not None:
            field.help_text = (
                "La date à laquelle la banque a payé les opérateurs : au plus tôt le "
                f"{self.execution_date:%d/%m/%Y}, date d'exécution demandée dans le fichier SEPA."
            )
            field.widget.attrs["min"] = self.execution_date.isoformat()
        if not self.is_bound:
            # A SEPA transfer is executed on the requested date: the likeliest paid date.
            self.initial.setdefault("paid_on", self.execution_date or paris_today())

    def clean_paid_on(self) -> date:
        value = self.cleaned_data["paid_on"]
        if self.execution_date is not None and value < self.execution_date:
            raise forms.ValidationError(
                f"Le virement a été demandé pour le {self.execution_date:%d/%m/%Y} : il ne peut "
                f"pas avoir été payé le {value:%d/%m/%Y}. Rien n'a été modifié."
            )
        if value > paris_today():
            raise forms.ValidationError("La date du versement ne peut pas être dans le futur.")
        return value


class RejectLineForm(forms.Form):
    reason = forms.CharField(
        label="Motif du rejet",
        max_length=250,
        help_text="Par exemple : compte clos, IBAN inconnu de la banque (code AC04, AC01…).",
        error_messages={"required": "Indiquez le motif du rejet."},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Indiquez le motif du rejet.")
        return reason


class PayerAccountForm(BankAccountForm):
    """The payer's debtor account (same IBAN/BIC checks as an operator's bank details)."""

    holder = forms.CharField(
        label="Titulaire du compte à débiter",
        max_length=70,
        help_text="Le nom qui apparaît comme donneur d'ordre dans le fichier de virements.",
    )
