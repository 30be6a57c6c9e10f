"""The selection demo: the seed's committee for the demo call of ``ami.demo``.

The committee (seed, section 4): the President of the Métropole (chair), the vice-president in
charge of digital innovation, the president of the commission « Numérique, Innovation, Recherche
et Développement », one representative of each political group (invented groups, « démo »), and
the hub as qualified person (the hub's demo login, without a vote).

Stages shown: Pantin's draft (not examined), Ivry-sur-Seine submitted with the hub's opinion and
scored by part of the committee (one member declared a conflict; the President has not scored
it yet), Montreuil submitted and scored by every voting member. The proposal is left to the
President, who scores Ivry-sur-Seine, builds the list and validates it; the Métropole's admin then
records the Bureau vote. Running the demo again changes nothing once the proposal is validated.
"""

from django.db import transaction

from accounts.models import User
from ami.models import Application, ApplicationStatus, Call
from core.demo import DEMO_PASSWORD, EMAIL_DOMAIN, DemoLogin
from organisations.models import Membership, Role
from programmes.models import Programme

from . import services
from .models import CommitteeMember, ConflictDeclaration, MemberFunction, Proposal, Score

F = MemberFunction

# login, first name, last name, function, title or political group
MEMBERS = [
    ("president", "Patrice", "Président", F.PRESIDENT, "Président de la Métropole du Grand Paris"),
    (
        "vice-presidente",
        "Valérie",
        "Vice-Présidente",
        F.VICE_PRESIDENT,
        "Vice-présidente déléguée à la Communication et à l'Innovation numérique",
    ),
    (
        "commission",
        "Claude",
        "Commission",
        F.COMMISSION_PRESIDENT,
        "Président de la commission « Numérique, Innovation, Recherche et Développement »",
    ),
    (
        "groupe.horizons",
        "Gaëlle",
        "Horizons",
        F.GROUP_REPRESENTATIVE,
        "Horizons métropolitains (démo)",
    ),
    (
        "groupe.solidaire",
        "Samir",
        "Solidaire",
        F.GROUP_REPRESENTATIVE,
        "Métropole solidaire (démo)",
    ),
    (
        "groupe.ecologie",
        "Élise",
        "Écologie",
        F.GROUP_REPRESENTATIVE,
        "Écologie et territoires (démo)",
    ),
]

# Scores per criterion (five criteria of the seed, scale 0..5), by login.
MONTREUIL_SCORES = {
    "president": [4, 4, 5, 4, 5],
    "vice-presidente": [5, 4, 4, 4, 4],
    "commission": [4, 3, 4, 5, 4],
    "groupe.horizons": [3, 4, 4, 4, 3],
    "groupe.solidaire": [5, 5, 4, 4, 5],
    "groupe.ecologie": [4, 4, 5, 3, 4],
}
IVRY_SCORES = {
    "vice-presidente": [3, 4, 3, 4, 4],
    "commission": [4, 3, 3, 3, 5],
    "groupe.horizons": [3, 3, 4, 3, 4],
}
IVRY_CONFLICT = "groupe.solidaire"  # « élu d'Ivry-sur-Seine »: declares a conflict


def _user(login: str, first: str, last: str) -> User:
    email = f"{login}@{EMAIL_DOMAIN}"
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User(email=email, first_name=first, last_name=last, is_active=True)
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


def _comment(value: int) -> str:
    return {
        5: "Très convaincant, précis et étayé.",
        4: "Solide ; quelques points à préciser.",
        3: "Correct mais peu détaillé.",
    }.get(value, "Insuffisant.")


@transaction.atomic
def load(programme: Programme) -> dict:
    try:
        from ami.demo import CALL_TITLE
    except ImportError:  # the AMI demo is not there: nothing to examine
        return {"lines": ["Sélection : pas d'appel de démonstration, comité non créé."]}
    call = Call.objects.filter(programme=programme, title=CALL_TITLE).first()
    if call is None:
        return {"lines": ["Sélection : pas d'appel de démonstration, comité non créé."]}
    funder = programme.funder
    admin = (
        Membership.active.filter(organisation=funder, role=Role.ADMIN)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if admin is None:
        return {"lines": ["Sélection : le commanditaire n'a pas d'administrateur."]}
    by = admin.user
    logins: list[DemoLogin] = []
    frozen = Proposal.objects.filter(call=call, validated_at__isnull=False).exists()
    members: dict[str, CommitteeMember] = {}
    for login, first, last, function, label in MEMBERS:
        user = _user(login, first, last)
        Membership.objects.get_or_create(
            user=user, organisation=funder, defaults={"role": Role.READONLY}
        )
        member = CommitteeMember.objects.filter(call=call, user=user).first()
        if member is None and not frozen:
            member = services.add_member(
                call,
                user=user,
                function=function,
                title="" if function == F.GROUP_REPRESENTATIVE else label,
                political_group=label if function == F.GROUP_REPRESENTATIVE else "",
                by=by,
            )
        if member is not None:
            members[login] = member
            role = "Comité d'examen — " + (
                "président (préside le comité)" if member.is_chair else member.function_label
            )
            logins.append(DemoLogin(role, funder.name, user.email))
    hub_login = f"hub@{EMAIL_DOMAIN}"
    hub_user = User.objects.filter(email=hub_login).first()
    if (
        hub_user is not None
        and call.hub_id
        and not frozen
        and not CommitteeMember.objects.filter(call=call, user=hub_user).exists()
        and Membership.active.filter(user=hub_user, organisation_id=call.hub_id).exists()
    ):
        services.add_member(
            call,
            user=hub_user,
            function=F.QUALIFIED_PERSON,
            title="Hub Francil'IN, personnalité qualifiée",
            by=by,
        )

    applications = {
        a.commune.name: a
        for a in Application.objects.filter(
            call=call, status=ApplicationStatus.SUBMITTED
        ).select_related("commune")
    }
    montreuil = applications.get("Montreuil")
    ivry = applications.get("Ivry-sur-Seine")
    scored = 0
    if not frozen and montreuil and ivry:
        criteria = list(call.criteria.order_by("position", "pk"))
        for login, member in members.items():
            if not ConflictDeclaration.objects.filter(member=member).exists():
                services.declare_interests(
                    member,
                    [
                        services.Declaration(montreuil.pk, False),
                        services.Declaration(
                            ivry.pk,
                            login == IVRY_CONFLICT,
                            "Élu de la commune" if login == IVRY_CONFLICT else "",
                        ),
                    ],
                    by=member.user,
                )
            for application, table in ((montreuil, MONTREUIL_SCORES), (ivry, IVRY_SCORES)):
                values = table.get(login)
                if values is None or len(values) != len(criteria):
                    continue
                if Score.objects.filter(member=member, application=application).exists():
                    continue
                services.record_scores(
                    member,
                    application,
                    [
                        services.ScoreInput(c.pk, v, _comment(v))
                        for c, v in zip(criteria, values, strict=True)
                    ],
                    by=member.user,
                )
                scored += 1
    state = "validée" if frozen else "à arrêter par le président"
    return {
        "lines": [
            f"Comité d'examen : {len(members)} élus et le hub (personnalité qualifiée), "
            f"{scored} notation(s) ajoutée(s) ; proposition {state}. Le président "
            f"({MEMBERS[0][0]}@{EMAIL_DOMAIN}) valide, puis metropole@{EMAIL_DOMAIN} enregistre "
            "le vote du Bureau."
        ],
        "logins": logins,
    }
