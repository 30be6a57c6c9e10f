"""The AMI part of the Grand Paris demo: the seed's call of 2021 (its text, its dates, its three
documents, its five criteria, the hub, the 16 pilots excluded) and three new communes at
different stages: Pantin (draft), Montreuil and Ivry-sur-Seine (submitted with their three PDFs
and a hub opinion). Idempotent: a second run changes nothing.

The ``selection`` demo reads ``CALL_TITLE`` and the commune codes below."""

import hashlib
import html
import io
import re
from datetime import datetime
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from accounts.models import User
from core.demo import DEMO_PASSWORD, EMAIL_DOMAIN, DemoLogin
from geo.models import Commune
from journal.models import JournalEntry
from journal.services import record
from organisations.models import Membership, Organisation, Role
from programmes.models import Programme

from . import services
from .models import (
    Application,
    ApplicationDocument,
    ApplicationStatus,
    Call,
    Criterion,
    HubOpinion,
    RequiredDocument,
)
from .queries import PARIS

CALL_TITLE = (
    "2ème édition de l'appel à manifestation d'intérêt métropolitain dans le cadre du "
    "déploiement des pass numériques"
)
# The seed gives no opening date: mid-September 2021. The deadline is the seed's.
OPENS_AT = datetime(2021, 9, 15, 9, 0, tzinfo=PARIS)
DEADLINE = datetime(2021, 10, 15, 20, 0, tzinfo=PARIS)
CONTACT_EMAIL = "innonum@metropolegrandparis.fr"

PANTIN = "93055"
MONTREUIL = "93048"
IVRY = "94041"
APPLICANT_CODES = [PANTIN, MONTREUIL, IVRY]

BODY_FILE = Path(__file__).resolve().parent / "data" / "appel_2021.txt"

# (INSEE code, organisation name, login, first name, last name)
APPLICANTS = [
    (PANTIN, "Ville de Pantin", "referente.pantin", "Nadia", "Référente"),
    (MONTREUIL, "Ville de Montreuil", "referente.montreuil", "Claire", "Référente"),
    (IVRY, "Ville d'Ivry-sur-Seine", "referent.ivry", "Karim", "Référent"),
]

SECTIONS = {
    PANTIN: {
        "inclusion_issues": (
            "Un habitant sur cinq déclare ne pas effectuer seul ses démarches en ligne. Les "
            "quartiers des Courtillières et des Quatre-Chemins concentrent les demandes d'aide."
        ),
        "network_diagnosis": (
            "Deux espaces publics numériques municipaux, une médiathèque et trois associations."
        ),
        "referent_name": "Nadia Référente",
        "referent_email": f"referente.pantin@{EMAIL_DOMAIN}",
    },
    MONTREUIL: {
        "inclusion_issues": (
            "Forte demande d'accompagnement aux démarches en ligne (CAF, France Travail, ANTS) "
            "dans les quartiers du Haut-Montreuil ; publics âgés isolés et jeunes sans diplôme."
        ),
        "network_diagnosis": (
            "Un réseau structuré autour de la maison de quartier, de quatre centres sociaux et de "
            "deux tiers-lieux ; coordination mensuelle animée par la direction de la cohésion."
        ),
        "pass_fit": (
            "Les pass permettent d'orienter vers les associations de médiation, aujourd'hui "
            "saturées par l'accueil gratuit, en finançant des parcours de plusieurs séances."
        ),
        "pic_strategy": (
            "La mission locale et France Travail distribueront 60 % des carnets, à des jeunes "
            "sortis sans diplôme et à des demandeurs d'emploi de niveau infra-bac."
        ),
        "qpv_strategy": (
            "Trois lieux de prescription installés en QPV (centres sociaux Grand-Air, Lounès, "
            "Espéranto)."
        ),
        "cnfs_requested": True,
        "cnfs_mobilised": True,
        "referent_name": "Claire Référente",
        "referent_role": "Cheffe de projet inclusion numérique",
        "referent_email": f"referente.montreuil@{EMAIL_DOMAIN}",
        "referent_phone": "01 48 70 60 00",
        "planned_prescribers": "CCAS, mission locale, France Travail, quatre centres sociaux.",
        "planned_operators": "Deux associations de médiation numérique, un tiers-lieu.",
        "booklets_requested": 600,
    },
    IVRY: {
        "inclusion_issues": (
            "Publics allophones et seniors en difficulté face à la dématérialisation ; file "
            "d'attente au guichet unique."
        ),
        "network_diagnosis": (
            "Réseau en construction : un espace public numérique, une association, la "
            "médiathèque ; pas encore de coordination."
        ),
        "pass_fit": "Les pass financeront des ateliers d'initiation dans les structures locales.",
        "pic_strategy": (
            "Prescription par la mission locale et l'antenne France Travail d'Ivry Port."
        ),
        "qpv_strategy": "Un lieu de prescription au centre social Monmousseau (QPV Gagarine).",
        "cnfs_requested": True,
        "cnfs_mobilised": False,
        "referent_name": "Karim Référent",
        "referent_role": "Responsable du service démarches",
        "referent_email": f"referent.ivry@{EMAIL_DOMAIN}",
        "planned_prescribers": "CCAS, mission locale, antenne France Travail.",
        "planned_operators": "Une association de médiation numérique, la médiathèque.",
        "booklets_requested": 400,
    },
}

SUBMITTED = {
    MONTREUIL: datetime(2021, 10, 12, 15, 32, tzinfo=PARIS),
    IVRY: datetime(2021, 10, 15, 18, 47, tzinfo=PARIS),
}
OPINIONS = {
    MONTREUIL: (
        HubOpinion.Verdict.FAVOURABLE,
        "Réseau d'acteurs déjà structuré, prescripteurs PIC identifiés, lieux en QPV : "
        "candidature solide, déploiement rapide possible.",
    ),
    IVRY: (
        HubOpinion.Verdict.RESERVED,
        "Besoins réels et bien décrits, mais réseau d'opérateurs encore mince : prévoir un "
        "accompagnement renforcé du hub pour qualifier de nouveaux lieux.",
    ),
}


def body_html(text: str) -> str:
    """The seed's plain text as simple HTML: numbered headings become <h2>, « - » lines lists
    (an indented line a nested list), the e-mail and the web address links; the annex's pairs
    (actor, role) a list."""
    blocks = [b for b in re.split(r"\n\s*\n", text.strip()) if b.strip()]
    out: list[str] = []

    def inline(s: str) -> str:
        s = html.escape(s.strip(), quote=False)
        s = re.sub(r"&lt;u&gt;(.*?)&lt;/u&gt;", r"\1", s)
        s = s.replace(CONTACT_EMAIL, f'<a href="mailto:{CONTACT_EMAIL}">{CONTACT_EMAIL}</a>')
        return re.sub(r"\((https://[^\s)]+)\)", r'(<a href="\1">\1</a>)', s)

    annex: list[str] | None = None
    for block in blocks:
        lines = block.splitlines()
        first = lines[0].strip()
        if annex is not None:
            annex.append(" ".join(line.strip() for line in lines))
            continue
        if first.startswith("Annexe"):
            out.append(f"<h2>{inline(first)}</h2>")
            annex = []
            continue
        if len(lines) == 1 and (
            re.match(r"^\d+\. ", first) or first.startswith("Modalités de l'appel")
        ):
            out.append(f"<h2>{inline(first)}</h2>")
            continue
        if all(re.match(r"^\s*- ", line) for line in lines):
            html_list, nested = ["<ul>"], False
            for line in lines:
                item = inline(re.sub(r"^\s*- (o )?", "", line))
                if line.startswith(" "):
                    if not nested:
                        html_list[-1] = html_list[-1].removesuffix("</li>") + "<ul>"
                        nested = True
                    html_list.append(f"<li>{item}</li>")
                else:
                    if nested:
                        html_list.append("</ul></li>")
                        nested = False
                    html_list.append(f"<li>{item}</li>")
            if nested:
                html_list.append("</ul></li>")
            html_list.append("</ul>")
            out.append("".join(html_list))
            continue
        out.append(f"<p>{inline(' '.join(line.strip() for line in lines))}</p>")
    if annex:
        items = [
            f"<li><strong>{inline(actor)}</strong> : {inline(role)}</li>"
            for actor, role in zip(annex[0::2], annex[1::2], strict=False)
        ]
        out.append("<ul>" + "".join(items) + "</ul>")
    return services.sanitise_body("\n".join(out))


def demo_pdf(title: str, commune: str) -> bytes:
    """A small valid one-page PDF standing for a document of the demo."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(title)
    pdf.setFont("Helvetica-Bold", 16)
    pdf.drawString(60, 770, title)
    pdf.setFont("Helvetica", 12)
    pdf.drawString(60, 740, f"Commune : {commune}")
    pdf.drawString(60, 720, "Document de démonstration (Passnum).")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _user(email: str, first: str, last: str) -> User:
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, first_name=first, last_name=last, is_active=True)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _call(programme: Programme, author: User | None) -> Call:
    call = Call.objects.filter(programme=programme, title=CALL_TITLE).first()
    if call is not None:
        return call
    call = Call.objects.create(
        programme=programme,
        hub=programme.hub,
        title=CALL_TITLE,
        body=body_html(BODY_FILE.read_text(encoding="utf-8")),
        opens_at=OPENS_AT,
        deadline=DEADLINE,
        contact_email=CONTACT_EMAIL,
        is_published=True,
        created_by=author,
    )
    call.eligible_communes.set(services.default_eligible_communes(programme))
    call.excluded_communes.set(services.default_excluded_communes(programme))
    for position, (label, help_text) in enumerate(services.DEFAULT_REQUIRED_DOCUMENTS, start=1):
        RequiredDocument.objects.create(
            call=call, position=position, label=label, help_text=help_text
        )
    for position, label in enumerate(services.DEFAULT_CRITERIA, start=1):
        Criterion.objects.create(call=call, position=position, label=label)
    record(
        JournalEntry.Action.CALL_CREATED,
        actor=author,
        organisation=programme.funder,
        obj=call,
        details={"demo": True},
    )
    return call


@transaction.atomic
def load(programme: Programme) -> dict:
    funder = programme.funder
    author = (
        Membership.objects.filter(organisation=funder, role=Role.ADMIN, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    author_user = author.user if author else None
    call = _call(programme, author_user)
    hub_member = (
        Membership.objects.filter(organisation=programme.hub, is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
        if programme.hub_id
        else None
    )
    communes = {c.insee_code: c for c in Commune.objects.filter(insee_code__in=APPLICANT_CODES)}
    logins: list[DemoLogin] = []
    created = 0
    for code, name, login, first, last in APPLICANTS:
        commune = communes.get(code)
        if commune is None:
            continue
        municipality, _ = Organisation.objects.get_or_create(
            name=name,
            kind=Organisation.Kind.MUNICIPALITY,
            defaults={
                "legal_category": Organisation.LegalCategory.PUBLIC,
                "commune": commune,
                "postal_code": commune.postal_codes[0] if commune.postal_codes else "",
                "city": commune.name,
                "parent": funder,
            },
        )
        user = _user(f"{login}@{EMAIL_DOMAIN}", first, last)
        Membership.objects.get_or_create(
            user=user, organisation=municipality, defaults={"role": Role.ADMIN}
        )
        logins.append(DemoLogin(f"Commune candidate à l'AMI ({commune.name})", name, user.email))
        if Application.objects.filter(call=call, commune=commune).exists():
            continue
        application = Application.objects.create(
            call=call,
            municipality=municipality,
            commune=commune,
            created_by=user,
            **SECTIONS[code],
        )
        created += 1
        if code not in SUBMITTED:
            continue
        for required in call.required_documents.order_by("position"):
            content = demo_pdf(required.label, commune.name)
            document = ApplicationDocument(
                application=application,
                required_document=required,
                original_name=f"{required.label} - {commune.name}.pdf",
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                uploaded_by=user,
            )
            document.file.save("piece.pdf", ContentFile(content), save=False)
            document.save()
        Application.objects.filter(pk=application.pk).update(
            status=ApplicationStatus.SUBMITTED, submitted_at=SUBMITTED[code], submitted_by=user
        )
        if hub_member is not None:
            verdict, text = OPINIONS[code]
            HubOpinion.objects.create(
                application=application, verdict=verdict, text=text, author=hub_member.user
            )
    return {
        "lines": [
            f"AMI « {CALL_TITLE[:60]}… » : date limite 15/10/2021 à 20:00, "
            f"{call.eligible_communes.count()} communes éligibles, "
            f"{call.excluded_communes.count()} exclues, {created} candidature(s) créée(s)."
        ],
        "logins": logins,
    }
