"""Every write of the AMI app: the call (create, edit, publish), the application (draft, sections,
documents, submission with its acknowledgement) and the hub's opinion.

Each write runs in one transaction, locks the rows it checks, and appends a journal entry. A
refusal raises ``AmiRefused`` with a French message and leaves nothing behind (no row, no file).
"""

import hashlib
import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import nh3
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from geo.models import Commune
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Organisation
from programmes.models import Programme

from . import queries
from .models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Call,
    Criterion,
    HubOpinion,
    RequiredDocument,
)

logger = logging.getLogger(__name__)
Action = JournalEntry.Action

# The seed's call (2021): its three documents and its five criteria, verbatim.
# (label, precision) — the label is short, so that it reads well beside the upload field.
DEFAULT_REQUIRED_DOCUMENTS = [
    (
        "Dossier de candidature",
        "Le dossier de candidature intégralement complété, en respectant les mentions indiquées.",
    ),
    (
        "Courrier signé du Maire",
        "Un courrier signé du Maire faisant état de la candidature de la commune à l'appel à "
        "manifestation d'intérêt.",
    ),
    (
        "Délibération ou projet de délibération",
        "La délibération, la décision de l'organe délibérant ou une version projet de ces "
        "documents approuvant la candidature à l'AMI et autorisant le Maire signer les actes "
        "administratifs correspondants, et à suivre la bonne exécution du déploiement des pass "
        "numériques dans le cadre de cet AMI.",
    ),
]
DEFAULT_CRITERIA = [
    "La qualité de la description des problématiques d'inclusion numérique rencontrées par la "
    "commune",
    "La qualité du diagnostic niveau de structuration des réseaux d'acteurs de l'inclusion "
    "numérique présents sur la commune",
    "L'adéquation entre les problématiques d'inclusion numérique rencontrées par la commune et "
    "les réponses apportées par le dispositif des pass numériques",
    "La précision des modalités identifiées par la commune pour que la moitié des Pass numériques "
    "qu'elle recevra soit distribuée à des public cibles du \"Plan d'investissement dans les "
    'compétences" (PIC)',
    "Si pertinent, la précision des modalités identifiées par la commune pour adresser des publics "
    "en précarité numérique situés en quartier prioritaire de la politique de la ville (QPV), "
    "notamment à travers l'installation de lieux de prescription dans ces quartiers",
]

ALLOWED_TAGS = {"p", "br", "strong", "em", "ul", "ol", "li", "a", "h2", "h3"}
ALLOWED_ATTRIBUTES = {"a": {"href"}}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}

OPTIONAL_SUFFIX = "(facultatif)"


class AmiRefused(Exception):
    """A refused action. ``messages`` lists what is wrong, in French."""

    def __init__(self, message: str, messages: list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.messages = messages or []


def sanitise_body(html: str) -> str:
    """The call's text, with only basic formatting kept (scripts and their content removed)."""
    return nh3.clean(
        html or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    ).strip()


# --- Call -------------------------------------------------------------------------------------


def default_eligible_communes(programme: Programme) -> list[Commune]:
    """The funder's member communes: the programme's perimeter (communes, not arrondissements);
    without a perimeter, the communes of the EPCI the funder's own commune belongs to."""
    communes = list(programme.perimeter.filter(kind=Commune.Kind.COMMUNE).order_by("insee_code"))
    if communes:
        return communes
    home = programme.funder.commune
    if home is not None:
        epci_id = home.epci_id or (home.parent.epci_id if home.parent_id else None)
        if epci_id:
            return list(
                Commune.objects.filter(epci_id=epci_id, kind=Commune.Kind.COMMUNE).order_by(
                    "insee_code"
                )
            )
    return []


def default_excluded_communes(programme: Programme) -> list[Commune]:
    """Communes already territories of the programme (the 16 pilots of the seed)."""
    ids = programme.territories.values("commune_id")
    return list(Commune.objects.filter(pk__in=ids).order_by("insee_code"))


@dataclass
class CallData:
    title: str
    body: str
    opens_at: datetime
    deadline: datetime
    contact_email: str
    hub: Organisation | None
    eligible_communes: list[Commune]
    excluded_communes: list[Commune]
    required_documents: list[tuple[str, str, bool]]  # (label, precision, mandatory)
    criteria: list[str]
    max_document_bytes: int


def _check_call_data(programme: Programme, data: CallData) -> None:
    errors = []
    if data.deadline <= data.opens_at:
        errors.append("La date limite doit être postérieure à l'ouverture des candidatures.")
    if data.hub is not None and data.hub.kind != Organisation.Kind.HUB:
        errors.append("Le hub choisi n'est pas un hub territorial.")
    if not data.required_documents:
        errors.append("Indiquez au moins une pièce demandée.")
    if not data.criteria:
        errors.append("Indiquez au moins un critère d'évaluation.")
    if errors:
        raise AmiRefused("L'appel n'est pas enregistré.", errors)


def _sync_lines(call: Call, model, field: str, wanted: list[tuple[str, dict]]) -> bool:
    """Make ``call``'s rows of ``model`` match ``wanted`` (label, extra fields) in order. Returns
    whether anything changed."""
    existing = {getattr(row, field): row for row in model.objects.filter(call=call)}
    changed = False
    wanted_labels = [label for label, _ in wanted]
    for label, row in existing.items():
        if label not in wanted_labels:
            row.delete()
            changed = True
    for position, (label, extra) in enumerate(wanted, start=1):
        row = existing.get(label)
        if row is None:
            model.objects.create(call=call, position=position, **{field: label}, **extra)
            changed = True
            continue
        updates = {"position": position, **extra}
        if any(getattr(row, k) != v for k, v in updates.items()):
            for k, v in updates.items():
                setattr(row, k, v)
            row.save()
            changed = True
    return changed


def _lists_frozen(call: Call, data: CallData) -> bool:
    """Whether the documents or criteria would change while applications exist (forbidden)."""
    documents = [
        (d.label, d.help_text, d.is_mandatory) for d in call.required_documents.order_by("position")
    ]
    criteria = [c.label for c in call.criteria.order_by("position")]
    return documents != data.required_documents or criteria != data.criteria


@transaction.atomic
def save_call(
    programme: Programme,
    data: CallData,
    *,
    by,
    call: Call | None = None,
    request: HttpRequest | None = None,
) -> Call:
    """Create (``call`` None) or update a call of the programme, its communes, documents and
    criteria. Documents and criteria cannot change once an application exists."""
    _check_call_data(programme, data)
    creating = call is None
    if creating:
        call = Call(programme=programme, created_by=by)
    else:
        call = Call.objects.select_for_update().get(pk=call.pk)
        if call.programme_id != programme.pk:
            raise AmiRefused("Cet appel n'appartient pas à ce programme.")
        if call.applications.exists() and _lists_frozen(call, data):
            raise AmiRefused(
                "L'appel n'est pas enregistré.",
                [
                    "Des communes ont déjà commencé leur candidature : les pièces demandées et "
                    "les critères ne peuvent plus être modifiés."
                ],
            )
    call.title = data.title.strip()
    call.body = sanitise_body(data.body)
    call.opens_at = data.opens_at
    call.deadline = data.deadline
    call.contact_email = data.contact_email
    call.hub = data.hub
    call.max_document_bytes = data.max_document_bytes
    call.save()
    call.eligible_communes.set(data.eligible_communes)
    call.excluded_communes.set(data.excluded_communes)
    _sync_lines(
        call,
        RequiredDocument,
        "label",
        [
            (label, {"help_text": help_text, "is_mandatory": mandatory})
            for label, help_text, mandatory in data.required_documents
        ],
    )
    _sync_lines(call, Criterion, "label", [(label, {}) for label in data.criteria])
    record(
        Action.CALL_CREATED if creating else Action.CALL_UPDATED,
        actor=by,
        organisation=programme.funder,
        obj=call,
        request=request,
        details={
            "programme": programme.pk,
            "deadline": call.deadline.isoformat(),
            "eligible": len(data.eligible_communes),
            "excluded": len(data.excluded_communes),
            "documents": len(data.required_documents),
            "criteria": len(data.criteria),
        },
    )
    return call


@transaction.atomic
def set_published(call: Call, published: bool, *, by, request: HttpRequest | None = None) -> Call:
    call = Call.objects.select_for_update().get(pk=call.pk)
    if not published and call.applications.exists():
        raise AmiRefused(
            "Des communes ont déjà commencé leur candidature : l'appel ne peut plus être retiré."
        )
    if published:
        missing = []
        if not call.required_documents.exists():
            missing.append("au moins une pièce demandée")
        if not call.criteria.exists():
            missing.append("au moins un critère")
        if not call.eligible_communes.exists():
            missing.append("au moins une commune éligible")
        if missing:
            raise AmiRefused("L'appel ne peut pas être publié : il lui faut " + ", ".join(missing))
    if call.is_published == published:
        return call
    call.is_published = published
    call.save(update_fields=["is_published", "updated_at"])
    record(
        Action.CALL_PUBLISHED if published else Action.CALL_UPDATED,
        actor=by,
        organisation=call.programme.funder,
        obj=call,
        request=request,
        details={"published": published},
    )
    return call


# --- Application ------------------------------------------------------------------------------

ONE_PER_COMMUNE = (
    "Votre commune a déjà une candidature pour cet appel : une seule candidature par commune et "
    "par appel est admise. Reprenez la candidature existante."
)


@transaction.atomic
def create_application(
    call: Call, municipality: Organisation, *, by, request: HttpRequest | None = None
) -> Application:
    """A draft application of the municipality's commune. Refused (nothing written) when the
    commune is excluded or not eligible, when the call is not open, or when the commune already
    has an application for this call."""
    call = Call.objects.select_for_update().get(pk=call.pk)
    refusal = queries.eligibility_refusal(call, municipality)
    if refusal:
        raise AmiRefused(refusal)
    now = timezone.now()
    if not call.is_published:
        raise AmiRefused("Cet appel n'est pas publié.")
    if now < call.opens_at:
        raise AmiRefused(
            f"L'appel ouvre le {queries.format_paris(call.opens_at)} : revenez à cette date."
        )
    if now >= call.deadline:
        raise AmiRefused(
            f"La date limite de dépôt était le {queries.format_paris(call.deadline)} : "
            "il n'est plus possible de candidater."
        )
    if (
        Application.objects.filter(call=call).filter(commune_id=municipality.commune_id).exists()
        or Application.objects.filter(call=call, municipality=municipality).exists()
    ):
        raise AmiRefused(ONE_PER_COMMUNE)
    try:
        with transaction.atomic():
            application = Application.objects.create(
                call=call,
                municipality=municipality,
                commune_id=municipality.commune_id,
                created_by=by,
                referent_name=by.get_full_name() if hasattr(by, "get_full_name") else "",
                referent_email=by.email,
            )
    except IntegrityError as exc:  # a concurrent creation: the constraint holds the rule
        raise AmiRefused(ONE_PER_COMMUNE) from exc
    record(
        Action.APPLICATION_CREATED,
        actor=by,
        organisation=municipality,
        obj=application,
        request=request,
        details={"call": call.pk, "commune": municipality.commune_id},
    )
    return application


def _locked_draft(application: Application) -> Application:
    application = (
        Application.objects.select_for_update()
        .select_related("call", "commune", "municipality")
        .get(pk=application.pk)
    )
    if application.status != ApplicationStatus.DRAFT:
        raise AmiRefused("La candidature est déposée : elle n'est plus modifiable.")
    return application


SECTION_FIELDS = [
    "inclusion_issues",
    "network_diagnosis",
    "pass_fit",
    "pic_strategy",
    "qpv_strategy",
    "cnfs_requested",
    "cnfs_mobilised",
    "referent_name",
    "referent_role",
    "referent_email",
    "referent_phone",
    "planned_prescribers",
    "planned_operators",
    "booklets_requested",
]


@transaction.atomic
def update_sections(
    application: Application, values: dict, *, by, request: HttpRequest | None = None
) -> Application:
    application = _locked_draft(application)
    changed = []
    for name in SECTION_FIELDS:
        if name in values and getattr(application, name) != values[name]:
            setattr(application, name, values[name])
            changed.append(name)
    if changed:
        application.save()
        record(
            Action.APPLICATION_UPDATED,
            actor=by,
            organisation=application.municipality,
            obj=application,
            request=request,
            details={"fields": changed},
        )
    return application


# --- Documents (PDF only) ---------------------------------------------------------------------


def check_pdf(upload: UploadedFile, max_bytes: int) -> tuple[bytes, str]:
    """The upload's bytes and SHA-256 when it is a readable PDF within ``max_bytes``; otherwise
    AmiRefused with a French message. Checks the name's extension, the ``%PDF-`` signature, and
    that pypdf can open it (the content decides, not the name)."""
    name = upload.name or ""
    size = upload.size or 0
    if size == 0:
        raise AmiRefused("Le fichier est vide.")
    if size > max_bytes:
        raise AmiRefused(
            f"Le fichier pèse {_megabytes(size)} : {_megabytes(max_bytes)} au plus par pièce."
        )
    if not name.lower().endswith(".pdf"):
        raise AmiRefused("Seuls les fichiers PDF (.pdf) sont acceptés.")
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(content) > max_bytes:
        raise AmiRefused(f"Le fichier dépasse {_megabytes(max_bytes)}.")
    if not content.startswith(b"%PDF-"):
        raise AmiRefused(
            "Ce fichier n'est pas un PDF (son contenu a été vérifié, pas seulement son nom)."
        )
    try:
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):
            raise AmiRefused("Ce PDF est protégé par un mot de passe : déposez-le sans protection.")
        if len(reader.pages) < 1:
            raise ValueError("no page")
    except AmiRefused:
        raise
    except Exception as exc:
        raise AmiRefused(
            "Ce PDF est illisible ou endommagé : enregistrez-le à nouveau puis déposez-le."
        ) from exc
    return content, hashlib.sha256(content).hexdigest()


def _megabytes(size: int) -> str:
    value = size / 1024 / 1024
    text = f"{value:.1f}".replace(".", ",").replace(",0", "")
    return f"{text} Mo"


def add_document(
    application: Application,
    required: RequiredDocument,
    upload: UploadedFile,
    *,
    by,
    request: HttpRequest | None = None,
) -> ApplicationDocument:
    """Store a checked PDF for one required document, replacing the previous one. The file gets
    a random name under MEDIA_ROOT (outside the web root); on any failure it is removed."""
    if required.call_id != application.call_id:
        raise AmiRefused("Cette pièce n'est pas demandée par cet appel.")
    content, sha256 = check_pdf(upload, application.call.max_document_bytes)
    stored: list[ApplicationDocument] = []
    try:
        with transaction.atomic():
            application = _locked_draft(application)
            if timezone.now() >= application.call.deadline:
                raise AmiRefused(
                    "La date limite de dépôt est passée "
                    f"({queries.format_paris(application.call.deadline)}) : "
                    "les pièces ne peuvent plus être modifiées."
                )
            previous = ApplicationDocument.objects.filter(
                application=application, required_document=required
            ).first()
            old_name = previous.file.name if previous else None
            if previous is not None:
                previous.delete()
            document = ApplicationDocument(
                application=application,
                required_document=required,
                original_name=_clean_name(upload.name),
                size=len(content),
                sha256=sha256,
                uploaded_by=by,
            )
            from django.core.files.base import ContentFile

            document.file.save("piece.pdf", ContentFile(content), save=False)
            stored.append(document)
            document.save()
            record(
                Action.APPLICATION_DOCUMENT_ADDED,
                actor=by,
                organisation=application.municipality,
                obj=document,
                request=request,
                details={
                    "application": application.pk,
                    "required_document": required.pk,
                    "size": len(content),
                    "sha256": sha256,
                    "replaced": old_name is not None,
                },
            )
            if old_name:
                storage = document.file.storage
                transaction.on_commit(lambda: storage.delete(old_name))
    except Exception:
        for document in stored:
            document.file.storage.delete(document.file.name)
        raise
    return document


def _clean_name(name: str | None) -> str:
    name = (name or "piece.pdf").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"<>')
    return name[:200] or "piece.pdf"


@transaction.atomic
def remove_document(
    application: Application, document_id: int, *, by, request: HttpRequest | None = None
) -> None:
    application = _locked_draft(application)
    document = ApplicationDocument.objects.filter(application=application, pk=document_id).first()
    if document is None:
        raise AmiRefused("Cette pièce n'existe plus.")
    name, storage = document.file.name, document.file.storage
    label = document.required_document.label
    document.delete()
    record(
        Action.APPLICATION_DOCUMENT_REMOVED,
        actor=by,
        organisation=application.municipality,
        obj=application,
        request=request,
        details={"document": document_id, "required_document": label[:100]},
    )
    transaction.on_commit(lambda: storage.delete(name))


def record_download(
    document: ApplicationDocument, *, by, organisation: Organisation, request=None
) -> None:
    record(
        Action.APPLICATION_DOCUMENT_DOWNLOADED,
        actor=by,
        organisation=organisation,
        obj=document,
        request=request,
        details={"application": document.application_id, "sha256": document.sha256},
    )


# --- Submission -------------------------------------------------------------------------------


def submit_application(
    application: Application, *, by, request: HttpRequest | None = None
) -> Application:
    """Submit a draft before the deadline (``now >= deadline`` is refused), with every mandatory
    document and section. Then e-mail the acknowledgement with its PDF receipt."""
    with transaction.atomic():
        application = _locked_draft(application)
        now = timezone.now()
        call = application.call
        if now >= call.deadline:
            raise AmiRefused(
                f"La date limite de dépôt était le {queries.format_paris(call.deadline)} "
                "(heure de Paris) : la candidature ne peut plus être déposée."
            )
        if now < call.opens_at:
            raise AmiRefused(
                f"L'appel ouvre le {queries.format_paris(call.opens_at)} : "
                "la candidature ne peut pas encore être déposée."
            )
        missing = queries.missing_items(application)
        if missing:
            raise AmiRefused("La candidature n'est pas déposée : il manque des éléments.", missing)
        application.status = ApplicationStatus.SUBMITTED
        application.submitted_at = now
        application.submitted_by = by
        application.save(update_fields=["status", "submitted_at", "submitted_by", "updated_at"])
        record(
            Action.APPLICATION_SUBMITTED,
            actor=by,
            organisation=application.municipality,
            obj=application,
            request=request,
            details={
                "call": call.pk,
                "receipt": queries.receipt_number(application),
                "documents": {
                    d.required_document_id: d.sha256 for d in application.documents.all()
                },
            },
        )
    send_acknowledgement(application)
    return application


def acknowledgement_recipients(application: Application) -> list[str]:
    recipients = []
    for email in (
        application.submitted_by.email if application.submitted_by else "",
        application.referent_email,
    ):
        if email and email.lower() not in {r.lower() for r in recipients}:
            recipients.append(email)
    return recipients


def send_acknowledgement(application: Application) -> bool:
    """E-mail the acknowledgement with the PDF receipt to the submitter and the référent. A mail
    failure does not undo the submission (the receipt stays downloadable); it is logged."""
    from .receipt import render_receipt

    number = queries.receipt_number(application)
    call = application.call
    body = (
        "Bonjour,\n\n"
        f"La candidature de {application.commune.name} à l'appel « {call.title} » a bien été "
        f"déposée le {queries.format_paris(application.submitted_at)} (heure de Paris).\n\n"
        f"Numéro d'accusé de réception : {number}\n"
        "L'accusé de réception est joint en PDF ; il reste téléchargeable depuis la page de la "
        "candidature.\n\n"
        "La candidature n'est plus modifiable. Les dossiers reçus sont transmis au hub "
        "territorial, qui rend un avis, puis examinés par le comité d'examen.\n\n"
        + (f"Contact : {call.contact_email}\n\n" if call.contact_email else "")
        + "— Passnum"
    )
    message = EmailMessage(
        subject=f"Accusé de réception — candidature de {application.commune.name} ({number})",
        body=body,
        to=acknowledgement_recipients(application),
        reply_to=[call.contact_email] if call.contact_email else None,
    )
    message.attach(f"accuse-reception-{number}.pdf", render_receipt(application), "application/pdf")
    try:
        message.send()
    except Exception:
        logger.exception("Accusé de réception non envoyé (candidature %s)", application.pk)
        return False
    return True


# --- Hub opinion ------------------------------------------------------------------------------


@transaction.atomic
def give_hub_opinion(
    application: Application,
    hub: Organisation,
    *,
    verdict: str,
    text: str,
    by,
    request: HttpRequest | None = None,
) -> HubOpinion:
    application = (
        Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    )
    if application.call.hub_id != hub.pk:
        raise AmiRefused("Votre organisation n'est pas le hub de cet appel.")
    if application.status == ApplicationStatus.DRAFT:
        raise AmiRefused("La candidature n'est pas encore déposée.")
    if application.status in queries.DECIDED_STATUSES:
        raise AmiRefused("La décision est prise : l'avis ne peut plus être modifié.")
    if verdict not in HubOpinion.Verdict.values:
        raise AmiRefused("Choisissez un avis : favorable, réservé ou défavorable.")
    if not text.strip():
        raise AmiRefused("Motivez l'avis.")
    opinion = HubOpinion.objects.filter(application=application).first()
    modified = opinion is not None
    previous = opinion.verdict if opinion else None
    if opinion is None:
        opinion = HubOpinion(application=application)
    opinion.verdict, opinion.text, opinion.author = verdict, text.strip(), by
    opinion.save()
    record(
        Action.HUB_OPINION_GIVEN,
        actor=by,
        organisation=hub,
        obj=application,
        request=request,
        details={"verdict": verdict, "modified": modified, "previous": previous},
    )
    return opinion


def parse_lines(text: str) -> list[str]:
    seen, lines = set(), []
    for raw in (text or "").splitlines():
        line = " ".join(raw.split()).lstrip("-•* ").strip()
        if line and line.lower() not in seen:
            seen.add(line.lower())
            lines.append(line)
    return lines


def parse_documents(text: str) -> list[tuple[str, str, bool]]:
    """One document per line: « Libellé — précision », with « (facultatif) » at the end of an
    optional one."""
    documents = []
    for line in parse_lines(text):
        optional = line.lower().endswith(OPTIONAL_SUFFIX)
        if optional:
            line = line[: -len(OPTIONAL_SUFFIX)].strip()
        label, _, help_text = line.partition(" — ")
        if label.strip():
            documents.append((label.strip()[:200], help_text.strip()[:300], not optional))
    return documents


def documents_text(documents: Iterable[tuple[str, str, bool]]) -> str:
    lines = []
    for label, help_text, mandatory in documents:
        line = f"{label} — {help_text}" if help_text else label
        lines.append(line if mandatory else f"{line} {OPTIONAL_SUFFIX}")
    return "\n".join(lines)
