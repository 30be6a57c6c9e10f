"""In Chromium, from draft to selection: a commune creates its application, fills it, uploads its
PDFs and submits it; the hub gives its opinion; two committee members declare their interests and
score; the President (chair) builds and validates the proposal; the funder's admin records the
Bureau vote. The application ends SELECTED and the commune is a territory of the programme.
axe-core finds no serious or critical violation on each page."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.tests.browser import log_in, screenshot

pytestmark = pytest.mark.browser


@pytest.fixture
def scene(transactional_db, settings, tmp_path):
    from django.core.cache import cache
    from django.utils import timezone

    from ami.models import HubOpinion, RequiredDocument
    from geo.models import Commune, Intercommunality
    from organisations.models import Organisation, Role
    from passnum.testing import PASSWORD, make_member, make_org, make_user
    from selection import services
    from selection.models import MemberFunction

    from .factories import CRITERIA, application, make_call

    cache.clear()
    settings.MEDIA_ROOT = tmp_path
    call = make_call(criteria=CRITERIA[:3])
    call.opens_at = timezone.now() - timedelta(days=10)
    call.deadline = timezone.now() + timedelta(days=20)
    call.is_published = True
    call.save()
    for position, label in enumerate(["Dossier de candidature", "Courrier signé du maire"]):
        RequiredDocument.objects.create(call=call, position=position, label=label)
    est = Intercommunality.objects.create(code="200057875", name="Est Ensemble", kind="EPT")
    montreuil = Commune.objects.create(
        insee_code="93048", name="Montreuil", department="93", ept=est, population=111_367
    )
    ivry = application(call, "94041", "Ivry-sur-Seine", booklets=400)
    call.eligible_communes.set([montreuil, ivry.commune])
    town = make_org("Ville de Montreuil", kind=Organisation.Kind.MUNICIPALITY, commune=montreuil)
    commune_user = make_member(town, Role.ADMIN, user=make_user("mairie@montreuil.example")).user

    funder = call.programme.funder
    hub = call.hub
    hub_user = make_member(hub, Role.MEMBER, user=make_user("avis@hub.example")).user
    HubOpinion.objects.filter(application=ivry).update(author=hub_user)
    admin = make_member(funder, Role.ADMIN, user=make_user("admin@metropole.example")).user
    seats = {}
    for email, first, function in [
        ("president@metropole.example", "Patrice", MemberFunction.PRESIDENT),
        ("vice@metropole.example", "Valérie", MemberFunction.VICE_PRESIDENT),
    ]:
        user = make_user(email, first_name=first, last_name="Élu")
        make_member(funder, Role.READONLY, user=user)
        seats[function] = services.add_member(call, user=user, function=function, by=admin)
    return {
        "call": call,
        "town": town,
        "commune_user": commune_user,
        "hub": hub,
        "hub_user": hub_user,
        "funder": funder,
        "admin": admin,
        "president": seats[MemberFunction.PRESIDENT].user,
        "vice": seats[MemberFunction.VICE_PRESIDENT].user,
        "ivry": ivry,
        "password": PASSWORD,
    }


def _switch(page, user, password):
    page.context.clear_cookies()
    log_in(page, user.email, password)


def _declare_and_score(page, axe_check, s, values_by_commune, shot=None):
    page.goto(f"/organisations/{s['funder'].pk}/")
    page.get_by_role("link", name="Comité d'examen", exact=True).click()
    page.get_by_role("link", name=re.compile("^Comité d'examen")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Comité d'examen")
    axe_check(page)
    if shot:
        screenshot(page, shot + "-board")
    page.get_by_role("link", name="déclaration d'intérêts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'intérêts")
    for commune in ("Montreuil", "Ivry-sur-Seine"):
        group = page.get_by_role("group", name=f"Candidature de {commune}")
        group.get_by_label("Pas de conflit d'intérêts").check()
    axe_check(page)
    page.get_by_role("button", name="Enregistrer ma déclaration").click()
    expect(page.get_by_text("Votre déclaration d'intérêts est enregistrée.")).to_be_visible()
    for commune, values in values_by_commune.items():
        page.get_by_role("link", name=commune, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_have_text(f"Candidature de {commune}")
        expect(page.get_by_text("Avis favorable")).to_be_visible()
        for index, value in enumerate(values):
            page.locator("select[name^=value_]").nth(index).select_option(str(value))
        page.locator("textarea[name^=comment_]").first.fill("Diagnostic précis et chiffré.")
        axe_check(page)
        if shot:
            screenshot(page, shot)
        page.get_by_role("button", name="Enregistrer mes notes").click()
        expect(page.get_by_text(f"Vos notes pour la candidature de {commune}")).to_be_visible()
        page.get_by_role("link", name="Comité d'examen", exact=True).click()


def test_from_draft_to_selection(page, axe_check, browser_errors, scene):
    from ami.demo import demo_pdf
    from ami.models import Application, ApplicationStatus
    from programmes.models import Territory
    from selection.models import BureauVote

    s = scene
    password = s["password"]

    # 1. The commune: a draft, its sections, two PDFs, the submission.
    log_in(page, s["commune_user"].email, password)
    page.goto(f"/organisations/{s['town'].pk}/")
    page.get_by_role("link", name="Candidater à un AMI").click()
    page.get_by_role("link", name=re.compile(re.escape(s["call"].title[:30]))).first.click()
    page.get_by_role("button", name="Créer la candidature de Montreuil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Candidature de Montreuil")
    axe_check(page)
    page.get_by_role("link", name="Remplir le dossier").click()
    for field, text in [
        ("inclusion_issues", "Un tiers des habitants sans accès autonome aux démarches."),
        ("network_diagnosis", "Réseau d'acteurs dense mais peu coordonné."),
        ("pass_fit", "Les pass financent l'accompagnement là où il manque."),
        ("pic_strategy", "Mission locale et France Travail prescripteurs."),
        ("qpv_strategy", "Deux lieux de prescription en QPV."),
        ("referent_name", "Nadia Référente"),
        ("referent_email", "referente@montreuil.example"),
        ("planned_prescribers", "CCAS, mission locale"),
        ("planned_operators", "Association Clic Solidaire"),
        ("booklets_requested", "500"),
    ]:
        page.locator(f"#id_{field}").fill(text)
    axe_check(page)
    page.get_by_role("button", name="Enregistrer le dossier").click()
    expect(page.get_by_text("Dossier enregistré.")).to_be_visible()
    for label in ["Dossier de candidature", "Courrier signé du maire"]:
        pdf = demo_pdf(label, "Montreuil")
        page.get_by_label(f"Fichier PDF : {label}").set_input_files(
            {"name": f"{label}.pdf", "mimeType": "application/pdf", "buffer": pdf}
        )
        page.get_by_role("button", name=f"Déposer : {label}").click()
        expect(page.get_by_text(f"{label} : pièce déposée.")).to_be_visible()
    axe_check(page)
    page.get_by_role("button", name="Déposer la candidature").click()
    expect(page.get_by_text("Candidature déposée le")).to_be_visible()
    screenshot(page, "selection-1-commune-submitted")
    application = Application.objects.get(commune_id="93048")
    assert application.status == ApplicationStatus.SUBMITTED

    # 2. The hub gives its opinion.
    _switch(page, s["hub_user"], password)
    page.goto(f"/ami/{s['hub'].pk}/candidatures/{application.pk}/")
    page.get_by_role("link", name="Rendre un avis").click()
    page.get_by_label("Favorable", exact=True).check()
    page.get_by_label("Motivation").fill("Diagnostic solide, réseau à structurer : favorable.")
    axe_check(page)
    page.get_by_role("button", name="Enregistrer l'avis").click()
    expect(page.get_by_text("Avis enregistré.")).to_be_visible()

    # 3. A committee member declares and scores both applications.
    _switch(page, s["vice"], password)
    _declare_and_score(
        page,
        axe_check,
        s,
        {"Montreuil": [4, 5, 4], "Ivry-sur-Seine": [3, 3, 2]},
        "selection-2-score",
    )

    # 4. The President (chair) scores, builds and validates the proposal.
    _switch(page, s["president"], password)
    _declare_and_score(page, axe_check, s, {"Montreuil": [5, 4, 4], "Ivry-sur-Seine": [2, 3, 3]})
    page.get_by_role("link", name="Classement", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Classement des candidatures")
    first_row = page.locator("table.selection-ranking tbody tr").first
    expect(first_row).to_contain_text("Montreuil")
    expect(first_row).to_contain_text("17,00")  # means 4.5, 4.5, 4 × weights 1, 1, 2
    axe_check(page)
    screenshot(page, "selection-3-ranking")
    page.get_by_role("link", name="Diversité et proposition", exact=True).click()
    expect(page.get_by_role("cell", name="Est Ensemble").first).to_be_visible()
    page.get_by_label("Proposer Montreuil").check()
    page.get_by_label("Carnets prévus pour Montreuil").fill("450")
    page.get_by_label("Commentaire du comité").fill("Montreuil : dossier le plus solide.")
    axe_check(page)
    screenshot(page, "selection-4-proposal")
    page.get_by_role("button", name="Enregistrer la proposition").click()
    expect(page.get_by_text("La proposition du comité est enregistrée.")).to_be_visible()
    page.get_by_role("button", name="Valider la proposition").click()
    expect(page.get_by_text("La proposition est validée")).to_be_visible()
    axe_check(page)

    # 5. The funder's admin records the Bureau vote.
    _switch(page, s["admin"], password)
    page.goto(f"/organisations/{s['funder'].pk}/")
    page.get_by_role("link", name="Composition du comité et vote du Bureau").click()
    axe_check(page)
    page.get_by_role("link", name=re.compile("^Composition du comité")).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Composition du comité d'examen")
    expect(page.get_by_text("La proposition du comité est validée")).to_be_visible()
    axe_check(page)
    screenshot(page, "selection-5-committee")
    page.get_by_role("link", name="Sélection des territoires").click()
    page.get_by_role("link", name=re.compile("^Vote du Bureau")).first.click()
    expect(page.get_by_text("Montreuil — 450 carnets")).to_be_visible()
    page.get_by_label("Date du vote du Bureau").fill("2021-11-17")
    page.get_by_label("Numéro de délibération").fill("CB2021/11/17-03")
    page.get_by_label("Voix pour").fill("30")
    page.get_by_label("Voix contre").fill("2")
    page.get_by_label("Abstentions").fill("3")
    expect(page.get_by_label("Montreuil")).to_be_checked()
    expect(page.get_by_label("Ivry-sur-Seine")).not_to_be_checked()
    axe_check(page)
    page.get_by_role("button", name="Enregistrer le vote et notifier les candidats").click()
    expect(page.get_by_text("Le vote du Bureau est enregistré")).to_be_visible()
    expect(page.get_by_role("link", name="Télécharger la décision (PDF)")).to_be_visible()
    axe_check(page)
    screenshot(page, "selection-6-vote")

    application.refresh_from_db()
    assert application.status == ApplicationStatus.SELECTED
    s["ivry"].refresh_from_db()
    assert s["ivry"].status == ApplicationStatus.NOT_SELECTED
    territory = Territory.objects.get(programme=s["call"].programme, commune_id="93048")
    assert territory.booklets_allocated == 450 and territory.municipality == s["town"]
    assert BureauVote.objects.get().deliberation_number == "CB2021/11/17-03"

    # The commune sees its decision.
    _switch(page, s["commune_user"], password)
    page.goto(f"/ami/{s['town'].pk}/candidatures/{application.pk}/")
    expect(page.get_by_text("Retenue").first).to_be_visible()
    axe_check(page)
    assert browser_errors == []
