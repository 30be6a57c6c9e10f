"""Builders for the AMI tests: a funder's programme with a published call of the seed's shape,
its hub, and communes (eligible, excluded, outside the perimeter)."""

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from reportlab.pdfgen import canvas

from accounts.models import User
from ami import services
from ami.models import Application, ApplicationDocument, Call, HubOpinion
from ami.queries import PARIS
from geo.models import Commune
from journal.models import JournalEntry
from ledger.tests import factories
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user
from programmes.models import Programme, Territory

Kind = Organisation.Kind

OPENS_AT = datetime(2021, 9, 15, 9, 0, tzinfo=PARIS)
DEADLINE = datetime(2021, 10, 15, 20, 0, tzinfo=PARIS)
DURING_CALL = datetime(2021, 10, 1, 12, 0, tzinfo=PARIS)

SECTIONS = {
    "inclusion_issues": "Beaucoup de démarches en ligne abandonnées.",
    "network_diagnosis": "Deux associations et un espace public numérique.",
    "pass_fit": "Les pass financent des parcours de plusieurs séances.",
    "pic_strategy": "La mission locale distribuera la moitié des carnets.",
    "referent_name": "Nadia Référente",
    "referent_email": "referente@ville.example",
    "planned_prescribers": "CCAS, mission locale.",
    "planned_operators": "Association Clic Solidaire.",
    "booklets_requested": 300,
}


def pdf_bytes(text: str = "Pièce de candidature", pages: int = 1) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    for n in range(pages):
        pdf.drawString(72, 720, f"{text} — page {n + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def upload(name: str = "dossier.pdf", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(
        name, pdf_bytes() if content is None else content, content_type="application/pdf"
    )


@dataclass
class Commune_:
    organisation: Organisation
    user: User
    commune: Commune


@dataclass
class World:
    programme: Programme
    funder: Organisation
    funder_admin: User
    funder_member: User
    hub: Organisation
    hub_user: User
    call: Call
    pantin: Commune_
    montreuil: Commune_
    excluded: Commune_
    outsider: Commune_

    def application(self, who: Commune_ | None = None, **sections) -> Application:
        who = who or self.pantin
        application = services.create_application(self.call, who.organisation, by=who.user)
        if sections:
            application = services.update_sections(application, sections, by=who.user)
        return application

    def complete(self, who: Commune_ | None = None) -> Application:
        """A draft with every section and every document."""
        who = who or self.pantin
        application = self.application(who, **SECTIONS)
        for required in self.call.required_documents.all():
            services.add_document(application, required, upload(), by=who.user)
        return application

    def submitted(self, who: Commune_ | None = None) -> Application:
        who = who or self.pantin
        return services.submit_application(self.complete(who), by=who.user)


def municipality(name: str, commune: Commune, parent: Organisation, role=Role.ADMIN) -> Commune_:
    org = make_org(name, kind=Kind.MUNICIPALITY, commune=commune, parent=parent)
    user = make_member(org, role).user
    return Commune_(org, user, commune)


def build_world(opens_at: datetime = OPENS_AT, deadline: datetime = DEADLINE) -> World:
    programme = factories.programme()
    funder = programme.funder
    pantin = factories.commune("93055", "Pantin")
    montreuil = factories.commune("93048", "Montreuil")
    aubervilliers = factories.commune("93001", "Aubervilliers")
    lyon = factories.commune("69123", "Lyon")
    programme.perimeter.set([pantin, montreuil, aubervilliers])
    hub = make_org("Hub Francil'IN", kind=Kind.HUB)
    programme.hub = hub
    programme.save()
    excluded = municipality("Ville d'Aubervilliers", aubervilliers, funder)
    Territory.objects.create(
        programme=programme,
        municipality=excluded.organisation,
        commune=aubervilliers,
        joined_on=datetime(2021, 3, 1).date(),
        is_pilot=True,
    )
    funder_admin = make_member(funder, Role.ADMIN).user
    funder_member = make_member(funder, Role.MEMBER).user
    hub_user = make_member(hub, Role.MEMBER).user
    data = services.CallData(
        title="2ème édition de l'AMI",
        body="<p>Texte de l'appel.</p>",
        opens_at=opens_at,
        deadline=deadline,
        contact_email="innonum@exemple.fr",
        hub=hub,
        eligible_communes=services.default_eligible_communes(programme),
        excluded_communes=services.default_excluded_communes(programme),
        required_documents=[
            (label, text, True) for label, text in services.DEFAULT_REQUIRED_DOCUMENTS
        ],
        criteria=list(services.DEFAULT_CRITERIA),
        max_document_bytes=2 * 1024 * 1024,
    )
    call = services.save_call(programme, data, by=funder_admin)
    call = services.set_published(call, True, by=funder_admin)
    return World(
        programme=programme,
        funder=funder,
        funder_admin=funder_admin,
        funder_member=funder_member,
        hub=hub,
        hub_user=hub_user,
        call=call,
        pantin=municipality("Ville de Pantin", pantin, funder),
        montreuil=municipality("Ville de Montreuil", montreuil, funder),
        excluded=excluded,
        outsider=municipality("Ville de Lyon", lyon, None),
    )


def stored_files() -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def snapshot() -> tuple:
    """Everything a refused action must leave untouched."""
    return (
        Application.objects.count(),
        ApplicationDocument.objects.count(),
        HubOpinion.objects.count(),
        JournalEntry.objects.count(),
        sorted(Application.objects.values_list("pk", "status", "updated_at")),
        stored_files(),
    )


def login(client, user) -> None:
    client.force_login(user)


def new_user() -> User:
    return make_user()
