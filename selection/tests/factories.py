"""Builders for the selection tests: a call with its criteria, a committee, submitted
applications (plain functions returning saved objects)."""

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import timezone

from accounts.models import User
from ami.models import Application, ApplicationStatus, Call, Criterion, HubOpinion
from geo.models import Commune
from ledger.tests.factories import commune as make_commune
from ledger.tests.factories import programme as make_programme
from organisations.models import Organisation, Role
from passnum.testing import make_member, make_org, make_user
from selection import services
from selection.models import CommitteeMember, MemberFunction

PARIS = ZoneInfo("Europe/Paris")

CRITERIA = [
    ("Qualité de la description des problématiques d'inclusion numérique", 1),
    ("Qualité du diagnostic de structuration des réseaux d'acteurs", 1),
    ("Adéquation entre les problématiques et les pass numériques", 2),
    ("Précision des modalités pour atteindre les publics PIC", 2),
    ("Précision des modalités pour les publics des QPV", 1),
]


@dataclass
class World:
    call: Call
    funder: Organisation
    hub: Organisation
    admin: User
    president: CommitteeMember
    vice: CommitteeMember
    group: CommitteeMember
    qualified: CommitteeMember
    criteria: list[Criterion]
    applications: list[Application] = field(default_factory=list)

    @property
    def voting(self) -> list[CommitteeMember]:
        return [self.president, self.vice, self.group]


def make_call(criteria=CRITERIA, score_max: int = 5, programme=None) -> Call:
    programme = programme or make_programme()
    hub = programme.hub or make_org("Hub Francil'IN", kind=Organisation.Kind.HUB)
    if programme.hub_id is None:
        programme.hub = hub
        programme.save(update_fields=["hub"])
    call = Call.objects.create(
        programme=programme,
        hub=hub,
        title="2ème édition de l'AMI métropolitain pass numériques",
        opens_at=datetime(2021, 9, 1, 9, 0, tzinfo=PARIS),
        deadline=datetime(2021, 10, 15, 20, 0, tzinfo=PARIS),
        score_max=score_max,
        contact_email="innonum@example.org",
    )
    for position, (label, weight) in enumerate(criteria):
        Criterion.objects.create(call=call, position=position, label=label, weight=weight)
    return call


def application(
    call: Call,
    code: str,
    name: str,
    *,
    status: str = ApplicationStatus.SUBMITTED,
    booklets: int = 300,
    verdict: str | None = HubOpinion.Verdict.FAVOURABLE,
) -> Application:
    commune = make_commune(code, name)
    municipality = make_org(f"Ville de {name}", kind=Organisation.Kind.MUNICIPALITY)
    municipality.commune = commune
    municipality.save()
    author = make_member(municipality, Role.ADMIN).user
    submitted = status != ApplicationStatus.DRAFT
    app = Application.objects.create(
        call=call,
        municipality=municipality,
        commune=commune,
        status=status,
        inclusion_issues=f"Problématiques de {name}",
        booklets_requested=booklets,
        cnfs_requested=True,
        cnfs_mobilised=False,
        referent_name="Référente",
        referent_email=f"referente@{code}.example.org",
        created_by=author,
        submitted_at=timezone.now() if submitted else None,
        submitted_by=author if submitted else None,
    )
    if submitted and verdict and call.hub_id:
        HubOpinion.objects.create(
            application=app, verdict=verdict, text="Avis motivé du hub.", author=author
        )
    return app


def world(score_max: int = 5, criteria=CRITERIA) -> World:
    call = make_call(criteria=criteria, score_max=score_max)
    funder = call.programme.funder
    hub = call.hub
    admin = make_member(funder, Role.ADMIN).user

    def seat(function, group="", org=None, email=None):
        user = make_user(email)
        make_member(org or funder, Role.READONLY, user=user)
        return services.add_member(
            call, user=user, function=function, political_group=group, by=admin
        )

    president = seat(MemberFunction.PRESIDENT, email="president@exemple.fr")
    vice = seat(MemberFunction.VICE_PRESIDENT)
    group = seat(MemberFunction.GROUP_REPRESENTATIVE, group="Groupe Centre")
    qualified = seat(MemberFunction.QUALIFIED_PERSON, org=hub)
    w = World(
        call=call,
        funder=funder,
        hub=hub,
        admin=admin,
        president=president,
        vice=vice,
        group=group,
        qualified=qualified,
        criteria=list(call.criteria.order_by("position")),
    )
    w.applications = [
        application(call, "93048", "Montreuil", booklets=500),
        application(call, "94041", "Ivry-sur-Seine", booklets=400),
        application(call, "93055", "Pantin", status=ApplicationStatus.DRAFT, verdict=None),
    ]
    return w


def declare_all(member: CommitteeMember, applications, conflicts=()) -> None:
    services.declare_interests(
        member,
        [
            services.Declaration(a.pk, a.pk in {c.pk for c in conflicts})
            for a in applications
            if a.status != ApplicationStatus.DRAFT
        ],
        by=member.user,
    )


def score(member: CommitteeMember, app: Application, values: list[int]) -> None:
    criteria = list(app.call.criteria.order_by("position"))
    services.record_scores(
        member,
        app,
        [
            services.ScoreInput(c.pk, v, f"Commentaire {v}")
            for c, v in zip(criteria, values, strict=True)
        ],
        by=member.user,
    )


def communes(*codes: str) -> list[Commune]:
    return list(Commune.objects.filter(insee_code__in=codes))
