"""Forms of the order pages. The parsing helpers (French amounts, INSEE codes, perimeter) are
shared with the API so both refuse the same input with the same French messages."""

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from geo.models import Commune
from operators.models import Service
from organisations.models import Organisation
from organisations.validators import validate_logo
from programmes.models import Programme

from .queries import programmes_for_orders

MAX_BOOKLETS = 200_000
MAX_FACE_VALUE_CENTS = 100_000  # 1 000,00 € per pass
MAX_TOLERANCE_DAYS = 365
PASSES_PER_BOOKLET_CHOICES = [(10, "10 pass par carnet"), (5, "5 pass par carnet")]

# Spaces people type or paste between thousands: space, no-break space, narrow no-break space.
_SPACES = re.compile(r"[ \u00a0\u202f]")
_AMOUNT = re.compile(r"(?P<euros>\d+)(?:,(?P<cents>\d{1,2}))?")
_GROUPED = re.compile(r"\d{1,3}(?:[ \u00a0\u202f]\d{3})+(?:,\d{1,2})?")
_INSEE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$")


def parse_euros_to_cents(text: str) -> int:
    """« 10,00 », « 10 », « 10,5 », « 1 000,00 € » → integer cents (no float on the way).

    The decimal separator is the comma; spaces may group the thousands. A dot is refused
    (« 1.000 » could mean a thousand or one), as are more than two decimals and signs.
    """
    raw = (text or "").strip()
    if raw.endswith("€"):
        raw = raw[:-1].strip()
    if not raw:
        raise ValidationError("Indiquez la valeur faciale d'un pass, par exemple « 10,00 ».")
    if "." in raw:
        raise ValidationError(
            "Utilisez la virgule pour séparer les centimes, par exemple « 10,00 »."
        )
    if _SPACES.search(raw) and not _GROUPED.fullmatch(raw):
        raise ValidationError(
            "Montant mal écrit : groupez les milliers par trois chiffres, par exemple « 1 000,00 »."
        )
    match = _AMOUNT.fullmatch(_SPACES.sub("", raw))
    if match is None:
        if re.fullmatch(r"\d+,\d{3,}", _SPACES.sub("", raw)):
            raise ValidationError("Un montant en euros a au plus deux chiffres après la virgule.")
        raise ValidationError(
            "Montant invalide : écrivez un nombre d'euros avec au plus deux décimales, "
            "par exemple « 10,00 »."
        )
    cents = int(match["euros"]) * 100 + int((match["cents"] or "0").ljust(2, "0"))
    return cents


def check_face_value_cents(cents: int) -> int:
    if cents < 1:
        raise ValidationError("La valeur faciale doit être d'au moins 0,01 €.")
    if cents > MAX_FACE_VALUE_CENTS:
        raise ValidationError("La valeur faciale d'un pass ne peut pas dépasser 1 000,00 €.")
    return cents


def check_valid_until(value: date) -> date:
    if value < timezone.localdate():
        raise ValidationError("La fin de validité ne peut pas être dans le passé.")
    return value


def parse_insee_codes(text: str) -> list[str]:
    """INSEE codes separated by spaces, commas, semicolons or new lines; duplicates dropped."""
    codes: list[str] = []
    for token in re.split(r"[\s,;]+", (text or "").strip().upper()):
        if token and token not in codes:
            codes.append(token)
    malformed = [code for code in codes if not _INSEE.match(code)]
    if malformed:
        raise ValidationError(
            "Codes INSEE mal formés (5 caractères, par exemple 93066) : " + ", ".join(malformed)
        )
    return codes


def resolve_perimeter(programme: Programme, codes: list[str]) -> list[Commune] | None:
    """The communes of the order's perimeter: None (the programme's perimeter) when no code is
    given, else the communes, which must all belong to the programme's perimeter (or exist, for
    a programme without a perimeter)."""
    if not codes:
        return None
    allowed = programme.perimeter.all()
    if not allowed.exists():
        allowed = Commune.objects.all()
    found = {c.insee_code: c for c in allowed.filter(insee_code__in=codes)}
    outside = [code for code in codes if code not in found]
    if outside:
        raise ValidationError(
            "Ces communes ne sont pas dans le périmètre du programme : " + ", ".join(outside)
        )
    return [found[code] for code in codes]


class OrderForm(forms.Form):
    """A draft order. Amounts are typed in euros (« 10,00 ») and given to services in cents."""

    programme = forms.ModelChoiceField(
        label="Programme",
        queryset=Programme.objects.none(),
        empty_label="Choisissez un programme",
        error_messages={
            "required": "Choisissez le programme de la commande.",
            "invalid_choice": "Choisissez un programme de votre organisation dans la liste.",
        },
    )
    booklet_count = forms.IntegerField(
        label="Nombre de carnets",
        min_value=1,
        max_value=MAX_BOOKLETS,
        error_messages={
            "required": "Indiquez le nombre de carnets.",
            "invalid": "Le nombre de carnets est un nombre entier.",
            "min_value": "Commandez au moins un carnet.",
            "max_value": f"Une commande compte au plus {MAX_BOOKLETS:_} carnets.".replace(
                "_", "\u00a0"
            ),
        },
    )
    passes_per_booklet = forms.TypedChoiceField(
        label="Pass par carnet",
        choices=PASSES_PER_BOOKLET_CHOICES,
        coerce=int,
        initial=10,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choisissez 10 ou 5 pass par carnet.",
            "invalid_choice": "Choisissez 10 ou 5 pass par carnet.",
        },
    )
    face_value = forms.CharField(
        label="Valeur faciale d'un pass (en euros)",
        initial="10,00",
        max_length=20,
        help_text="Par exemple « 10,00 ». La virgule sépare les centimes.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": "Indiquez la valeur faciale d'un pass, par exemple « 10,00 »."},
    )
    valid_until = forms.DateField(
        label="Fin de validité",
        help_text="Les pass restent acceptés pendant la tolérance qui suit cette date.",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "required": "Indiquez la date de fin de validité.",
            "invalid": "Date invalide : écrivez-la au format JJ/MM/AAAA.",
        },
    )
    tolerance_days = forms.IntegerField(
        label="Tolérance après la fin de validité (jours)",
        min_value=0,
        max_value=MAX_TOLERANCE_DAYS,
        initial=31,
        error_messages={
            "required": "Indiquez la tolérance en jours (31 par défaut).",
            "invalid": "La tolérance est un nombre entier de jours.",
            "min_value": "La tolérance ne peut pas être négative.",
            "max_value": f"La tolérance ne peut pas dépasser {MAX_TOLERANCE_DAYS} jours.",
        },
    )
    perimeter = forms.CharField(
        label="Périmètre (codes INSEE des communes)",
        required=False,
        help_text=(
            "Laissez vide pour reprendre tout le périmètre du programme. Sinon, indiquez les "
            "codes INSEE des communes retenues, séparés par des espaces ou des virgules."
        ),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    allowed_themes = forms.MultipleChoiceField(
        label="Services acceptés",
        required=False,
        choices=Service.Theme.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Aucune case cochée : tous les services sont acceptés.",
        error_messages={"invalid_choice": "Choisissez les services dans la liste."},
    )
    print_text = forms.CharField(
        label="Texte personnalisé imprimé sur les pass",
        required=False,
        max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": "Le texte imprimé compte au plus 600 caractères."},
    )
    logo = forms.FileField(
        label="Logo imprimé (facultatif)",
        required=False,
        validators=[validate_logo],
        help_text="PNG, JPEG ou WebP, 500 Ko au plus. À défaut, le logo du commanditaire.",
    )
    accept_in_stock = forms.BooleanField(
        label="Accepter un pass encore en stock (non remis à un bénéficiaire)",
        required=False,
        initial=True,
        help_text="Les pass sont au porteur : un tel usage est accepté et signalé.",
    )

    def __init__(self, *args, funder: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.funder = funder
        self.fields["programme"].queryset = programmes_for_orders(funder)
        self.perimeter_communes: list[Commune] | None = None

    def clean_face_value(self) -> int:
        return check_face_value_cents(parse_euros_to_cents(self.cleaned_data["face_value"]))

    def clean_valid_until(self) -> date:
        return check_valid_until(self.cleaned_data["valid_until"])

    def clean_perimeter(self) -> list[str]:
        return parse_insee_codes(self.cleaned_data["perimeter"])

    def clean(self):
        cleaned = super().clean()
        programme, codes = cleaned.get("programme"), cleaned.get("perimeter")
        if programme is not None and codes:
            try:
                self.perimeter_communes = resolve_perimeter(programme, codes)
            except ValidationError as exc:
                self.add_error("perimeter", exc)
        return cleaned

    def service_kwargs(self) -> dict:
        """The keyword arguments of ``services.create_order`` (amounts in cents)."""
        data = self.cleaned_data
        return {
            "booklet_count": data["booklet_count"],
            "passes_per_booklet": data["passes_per_booklet"],
            "face_value_cents": data["face_value"],
            "valid_until": data["valid_until"],
            "tolerance_days": data["tolerance_days"],
            "perimeter": self.perimeter_communes,
            "allowed_themes": list(data["allowed_themes"]),
            "print_text": data["print_text"].strip(),
            "accept_in_stock": data["accept_in_stock"],
            "logo": data.get("logo"),
        }


class ActivateForm(forms.Form):
    payment_reference = forms.CharField(
        label="Référence du paiement (numéro de mandat)",
        max_length=60,
        help_text="Les pass deviennent utilisables dès l'activation.",
        error_messages={
            "required": (
                "Indiquez la référence du paiement (numéro de mandat) pour activer la commande."
            ),
            "max_length": "La référence du paiement compte au plus 60 caractères.",
        },
    )
