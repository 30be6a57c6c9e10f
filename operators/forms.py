"""Forms of the operators' onboarding and of the reviewers' decisions (French messages)."""

from django import forms
from schwifty import BIC, IBAN
from schwifty.exceptions import (
    InvalidBBANChecksum,
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    SchwiftyException,
)

from organisations.models import Organisation
from organisations.validators import normalise_siret, validate_siret

from .models import OperatorDocument

DOCUMENT_MAX_BYTES = 5 * 1024 * 1024
DOCUMENT_SIGNATURES = {
    b"%PDF-": "application/pdf",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
}

YES_NO = [("oui", "Oui"), ("non", "Non")]

# The qualification questionnaire: (key, label, kind). Stored as JSON {key: answer}.
QUESTIONS: list[tuple[str, str, str]] = [
    (
        "professional_mediators",
        "Vos accompagnements sont-ils assurés par des médiateurs numériques professionnels "
        "(salariés formés) ?",
        "yesno",
    ),
    ("liability_insurance", "Disposez-vous d'une assurance responsabilité civile ?", "yesno"),
    (
        "accessible_place",
        "Au moins un de vos lieux est-il accessible aux personnes à mobilité réduite ?",
        "yesno",
    ),
    (
        "free_of_charge",
        "Vous engagez-vous à ne rien facturer aux bénéficiaires en plus du pass ?",
        "yesno",
    ),
    ("mediator_count", "Combien de médiateurs numériques accompagnent le public ?", "number"),
    (
        "activity",
        "Décrivez votre activité de médiation numérique (publics, ateliers, volume annuel).",
        "text",
    ),
]


def document_content_type(head: bytes) -> str | None:
    for signature, content_type in DOCUMENT_SIGNATURES.items():
        if head.startswith(signature):
            return content_type
    return None


def clean_siret_value(value: str, *, exclude_pk: int | None = None) -> str:
    compact = normalise_siret(value)
    validate_siret(compact)
    others = Organisation.objects.filter(siret=compact)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise forms.ValidationError(
            "Ce SIRET est déjà utilisé par une autre structure.", code="siret_used"
        )
    return compact


class OperatorIdentityForm(forms.Form):
    """Who the operator is: creates the organisation, or completes an existing one."""

    siret = forms.CharField(
        label="SIRET",
        max_length=20,
        help_text="14 chiffres. Le bouton « Rechercher » pré-remplit le formulaire depuis le "
        "répertoire public des entreprises.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(label="Nom de la structure", max_length=200, required=False)
    legal_category = forms.ChoiceField(
        label="Catégorie juridique",
        choices=Organisation.LegalCategory.choices,
        initial=Organisation.LegalCategory.ASSOCIATION,
    )
    address = forms.CharField(label="Adresse", max_length=250, required=False)
    postal_code = forms.RegexField(
        label="Code postal",
        regex=r"^[0-9]{5}$",
        required=False,
        error_messages={"invalid": "Le code postal compte 5 chiffres."},
    )
    city = forms.CharField(label="Ville", max_length=150, required=False)
    email = forms.EmailField(label="E-mail de contact", required=False)
    phone = forms.CharField(label="Téléphone", max_length=30, required=False)
    legal_representative_name = forms.CharField(
        label="Représentant légal (prénom et nom)", max_length=200, required=False
    )
    legal_representative_role = forms.CharField(
        label="Qualité du représentant légal",
        max_length=120,
        required=False,
        help_text="Par exemple : président, directrice, maire.",
    )

    def __init__(self, *args, organisation: Organisation | None = None, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_siret(self) -> str:
        return clean_siret_value(
            self.cleaned_data["siret"],
            exclude_pk=self.organisation.pk if self.organisation else None,
        )

    def clean_name(self) -> str:
        return (self.cleaned_data.get("name") or "").strip()

    def clean(self):
        cleaned = super().clean()
        if not self.errors and not cleaned.get("name"):
            self.add_error("name", "Indiquez le nom de la structure (ou utilisez « Rechercher »).")
        return cleaned


class QuestionnaireForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key, label, kind in QUESTIONS:
            if kind == "yesno":
                self.fields[key] = forms.ChoiceField(
                    label=label, choices=YES_NO, widget=forms.RadioSelect
                )
            elif kind == "number":
                self.fields[key] = forms.IntegerField(label=label, min_value=0, max_value=10_000)
            else:
                self.fields[key] = forms.CharField(
                    label=label, max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
                )

    def answers(self) -> dict:
        return {key: self.cleaned_data[key] for key, _, _ in QUESTIONS}


class BankAccountForm(forms.Form):
    holder = forms.CharField(label="Titulaire du compte", max_length=200)
    iban = forms.CharField(
        label="IBAN",
        max_length=50,
        help_text="Par exemple FR76 3000 6000 0112 3456 7890 189.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    bic = forms.CharField(
        label="BIC",
        max_length=15,
        help_text="8 ou 11 caractères, par exemple AGRIFRPP.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_holder(self) -> str:
        holder = self.cleaned_data["holder"].strip()
        if not holder:
            raise forms.ValidationError("Indiquez le titulaire du compte.")
        return holder

    def clean_iban(self) -> str:
        raw = self.cleaned_data["iban"]
        try:
            iban = IBAN(raw, validate_bban=True)
        except InvalidBBANChecksum as exc:
            raise forms.ValidationError(
                "La clé RIB de cet IBAN est fausse : vérifiez le code banque, le code guichet, "
                "le numéro de compte et la clé.",
                code="rib_key",
            ) from exc
        except InvalidChecksumDigits as exc:
            raise forms.ValidationError(
                "Cet IBAN n'est pas valide : sa clé de contrôle (les 2 chiffres après le code "
                "pays) ne correspond pas.",
                code="iban_checksum",
            ) from exc
        except InvalidCountryCode as exc:
            raise forms.ValidationError(
                "Cet IBAN commence par un code pays inconnu.", code="iban_country"
            ) from exc
        except InvalidLength as exc:
            raise forms.ValidationError(
                "Cet IBAN n'a pas la bonne longueur (27 caractères pour un IBAN français).",
                code="iban_length",
            ) from exc
        except (SchwiftyException, ValueError) as exc:
            raise forms.ValidationError("Cet IBAN n'est pas valide.", code="iban") from exc
        return iban.compact

    def clean_bic(self) -> str:
        raw = "".join(self.cleaned_data["bic"].split()).upper()
        try:
            bic = BIC(raw)
        except (SchwiftyException, ValueError) as exc:
            raise forms.ValidationError(
                "Ce BIC n'est pas valide : 8 ou 11 lettres et chiffres, par exemple AGRIFRPP.",
                code="bic",
            ) from exc
        return bic.compact

    def clean(self):
        cleaned = super().clean()
        iban, bic = cleaned.get("iban"), cleaned.get("bic")
        if iban and bic and iban[:2] != bic[4:6] and not (iban[:2] == "MC" and bic[4:6] == "FR"):
            self.add_error("bic", "Ce BIC est celui d'une banque d'un autre pays que l'IBAN.")
        return cleaned


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label="Type de pièce", choices=OperatorDocument.Kind.choices)
    file = forms.FileField(label="Fichier", help_text="PDF, PNG ou JPEG, 5 Mo au plus.")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > DOCUMENT_MAX_BYTES:
            size_mb = f"{upload.size / 1024 / 1024:.1f}".replace(".", ",")
            raise forms.ValidationError(
                f"Le fichier pèse {size_mb} Mo : 5 Mo au plus.", code="too_large"
            )
        if upload.size == 0:
            raise forms.ValidationError("Le fichier est vide.", code="empty")
        upload.seek(0)
        head = upload.read(16)
        upload.seek(0)
        content_type = document_content_type(head)
        if content_type is None:
            raise forms.ValidationError(
                "Le fichier doit être un PDF, une image PNG ou une image JPEG (son contenu a été "
                "vérifié, pas seulement son nom).",
                code="bad_type",
            )
        upload.checked_content_type = content_type
        return upload


class DecisionForm(forms.Form):
    ACTIONS = [
        ("start_review", "Prendre en examen"),
        ("qualify", "Qualifier"),
        ("refuse", "Refuser"),
        ("suspend", "Suspendre"),
        ("reinstate", "Rétablir la qualification"),
        ("dequalify", "Déqualifier"),
    ]
    NEEDS_REASON = {"refuse", "suspend", "dequalify"}

    action = forms.ChoiceField(label="Décision", choices=ACTIONS)
    reference_number = forms.CharField(
        label="N° de référencement (émetteur)",
        max_length=40,
        required=False,
        help_text="Obligatoire pour qualifier, par exemple APTIC-2021-0042.",
    )
    reason = forms.CharField(
        label="Motif",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Obligatoire pour un refus, une suspension ou une déqualification.",
    )

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        cleaned["reason"] = (cleaned.get("reason") or "").strip()
        cleaned["reference_number"] = (cleaned.get("reference_number") or "").strip()
        if action in self.NEEDS_REASON and not cleaned["reason"]:
            self.add_error("reason", "Indiquez le motif de cette décision.")
        return cleaned
