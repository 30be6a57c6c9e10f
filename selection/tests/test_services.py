from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from ami.models import ApplicationStatus
from journal.models import JournalEntry
from organisations.models import Role
from passnum.testing import make_member, make_user
from programmes.models import Territory
from selection import queries, services
from selection.models import (
    BureauVote,
    ChairDelegation,
    CommitteeMember,
    ConflictDeclaration,
    MemberFunction,
    Proposal,
    Score,
)
from selection.services import SelectionError, VoteInput

from .factories import application, declare_all, make_call, score, world

pytestmark = pytest.mark.django_db


# --- Committee -------------------------------------------------------------------------------


def test_president_chairs_by_default_and_hub_is_a_non_voting_qualified_person():
    w = world()
    assert w.president.is_chair and w.president.is_voting
    assert not w.vice.is_chair
    assert w.qualified.function == MemberFunction.QUALIFIED_PERSON
    assert not w.qualified.is_voting
    assert JournalEntry.objects.filter(action=JournalEntry.Action.MEMBER_ADDED).count() == 4


@pytest.mark.parametrize(
    "function,group,message",
    [
        (MemberFunction.PRESIDENT, "", "a déjà"),
        (MemberFunction.GROUP_REPRESENTATIVE, "", "groupe politique"),
        (MemberFunction.GROUP_REPRESENTATIVE, "groupe centre", "a déjà son représentant"),
    ],
)
def test_committee_places_are_checked(function, group, message):
    w = world()
    user = make_user()
    make_member(w.funder, Role.READONLY, user=user)
    before = CommitteeMember.objects.count()
    with pytest.raises(SelectionError, match=message):
        services.add_member(w.call, user=user, function=function, political_group=group, by=w.admin)
    assert CommitteeMember.objects.count() == before


def test_only_funder_admins_compose_and_members_must_belong_to_the_funder_or_hub():
    w = world()
    outsider = make_user()
    with pytest.raises(SelectionError, match="pas membre du commanditaire"):
        services.add_member(
            w.call, user=outsider, function=MemberFunction.VICE_PRESIDENT, by=w.admin
        )
    with pytest.raises(SelectionError, match="pas membre du hub"):
        services.add_member(
            w.call, user=w.vice.user, function=MemberFunction.QUALIFIED_PERSON, by=w.admin
        )
    staff = make_member(w.funder, Role.MEMBER).user
    with pytest.raises(SelectionError, match="administrateurs"):
        services.add_member(
            w.call, user=staff, function=MemberFunction.COMMISSION_PRESIDENT, by=staff
        )
    with pytest.raises(SelectionError, match="siège déjà"):
        services.add_member(
            w.call,
            user=w.vice.user,
            function=MemberFunction.GROUP_REPRESENTATIVE,
            political_group="Autre",
            by=w.admin,
        )


def test_database_holds_one_chair_and_one_seat_per_person():
    w = world()
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeMember.objects.filter(pk=w.vice.pk).update(is_chair=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeMember.objects.create(
            call=w.call,
            user=w.vice.user,
            function=MemberFunction.COMMISSION_PRESIDENT,
            added_by=w.admin,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        CommitteeMember.objects.filter(pk=w.qualified.pk).update(is_voting=True)


def test_delegation_moves_the_chair_and_is_recorded():
    w = world()
    services.delegate_chair(w.call, to_member=w.vice, by=w.president.user, note="Agenda")
    w.president.refresh_from_db()
    w.vice.refresh_from_db()
    assert w.vice.is_chair and not w.president.is_chair
    delegation = ChairDelegation.objects.get()
    assert (delegation.from_member, delegation.to_member) == (w.president, w.vice)
    assert JournalEntry.objects.filter(action=JournalEntry.Action.CHAIR_DELEGATED).exists()
    # A plain member cannot take the chair; the qualified person cannot receive it.
    with pytest.raises(SelectionError):
        services.delegate_chair(w.call, to_member=w.group, by=w.group.user)
    with pytest.raises(SelectionError, match="personnalité qualifiée"):
        services.delegate_chair(w.call, to_member=w.qualified, by=w.admin)


def test_a_member_who_scored_cannot_be_removed_but_a_fresh_one_can():
    w = world()
    montreuil = w.applications[0]
    declare_all(w.group, w.applications)
    with pytest.raises(SelectionError, match="ne peut plus"):
        services.remove_member(w.group, by=w.admin)
    with pytest.raises(SelectionError, match="préside"):
        services.remove_member(w.president, by=w.admin)
    services.remove_member(w.vice, by=w.admin)
    assert not CommitteeMember.objects.filter(pk=w.vice.pk).exists()
    assert montreuil.pk


# --- Declarations and scores -----------------------------------------------------------------


def test_scoring_needs_a_declaration_and_a_conflict_blocks_it():
    w = world()
    montreuil, ivry, _ = w.applications
    with pytest.raises(SelectionError, match="Déclarez d'abord"):
        score(w.vice, montreuil, [3, 3, 3, 3, 3])
    declare_all(w.vice, w.applications, conflicts=[montreuil])
    with pytest.raises(SelectionError, match="conflit d'intérêts"):
        score(w.vice, montreuil, [3, 3, 3, 3, 3])
    score(w.vice, ivry, [3, 4, 5, 0, 1])
    assert Score.objects.filter(member=w.vice).count() == 5
    assert not Score.objects.filter(member=w.vice, application=montreuil).exists()


def test_declaring_a_conflict_after_scoring_withdraws_the_scores():
    w = world()
    montreuil = w.applications[0]
    declare_all(w.vice, w.applications)
    score(w.vice, montreuil, [3, 3, 3, 3, 3])
    withdrawn = services.declare_interests(
        w.vice, [services.Declaration(montreuil.pk, True, "Élu de la commune")], by=w.vice.user
    )
    assert withdrawn == 5
    assert not Score.objects.filter(member=w.vice).exists()
    assert ConflictDeclaration.objects.get(member=w.vice, application=montreuil).has_conflict


def test_scores_out_of_range_or_incomplete_are_refused_and_nothing_is_saved():
    w = world(score_max=5)
    montreuil = w.applications[0]
    declare_all(w.vice, w.applications)
    with pytest.raises(SelectionError, match="entre 0 et 5"):
        score(w.vice, montreuil, [3, 3, 6, 3, 3])
    with pytest.raises(SelectionError, match="entre 0 et 5"):
        score(w.vice, montreuil, [3, -1, 3, 3, 3])
    criteria = w.criteria
    with pytest.raises(SelectionError, match="chacun des critères"):
        services.record_scores(
            w.vice, montreuil, [services.ScoreInput(criteria[0].pk, 3)], by=w.vice.user
        )
    assert not Score.objects.exists()


def test_the_database_holds_the_range_and_one_score_per_member_criterion():
    w = world()
    montreuil = w.applications[0]
    criterion = w.criteria[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(
            member=w.vice, application=montreuil, criterion=criterion, value=6, scale_max=5
        )
    Score.objects.create(
        member=w.vice, application=montreuil, criterion=criterion, value=5, scale_max=5
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        Score.objects.create(
            member=w.vice, application=montreuil, criterion=criterion, value=1, scale_max=5
        )


def test_the_qualified_person_and_drafts_are_not_scored_and_one_scores_for_oneself():
    w = world()
    montreuil, _, pantin = w.applications
    declare_all(w.qualified, w.applications)
    with pytest.raises(SelectionError, match="sans noter"):
        score(w.qualified, montreuil, [1, 1, 1, 1, 1])
    declare_all(w.vice, w.applications)
    with pytest.raises(SelectionError, match="déposées"):
        score(w.vice, pantin, [1, 1, 1, 1, 1])
    with pytest.raises(SelectionError, match="propre"):
        services.record_scores(w.vice, montreuil, [], by=w.group.user)


def test_a_wider_call_scale_is_respected():
    w = world(score_max=10)
    montreuil = w.applications[0]
    declare_all(w.vice, w.applications)
    score(w.vice, montreuil, [10, 9, 8, 7, 0])
    assert Score.objects.filter(member=w.vice, value=10, scale_max=10).exists()


# --- Ranking ---------------------------------------------------------------------------------


def test_ranking_means_weighted_totals_scorers_and_shared_ranks():
    """Computed by hand. Criteria weights 1 and 2, scale 0..5.

    Montreuil: president (4, 5), vice (3, 2)  → means 3.5 and 3.5 → total 3.5 + 7 = 10.5
    Ivry:      president (5, 1), group (2, 4) → means 3.5 and 2.5 → total 3.5 + 5 = 8.5
    Bobigny:   vice (5, 2)                    → means 5 and 2     → total 5 + 4 = 9
    Créteil:   group (1, 4)                   → means 1 and 4     → total 1 + 8 = 9
    Pantin is a draft: not listed. Ranks: Montreuil 1, Bobigny 2, Créteil 2 (tie), Ivry 4.
    """
    w = world(criteria=[("Critère A", 1), ("Critère B", 2)])
    montreuil, ivry, _ = w.applications
    bobigny = application(w.call, "93008", "Bobigny")
    creteil = application(w.call, "94028", "Créteil")
    everyone = [montreuil, ivry, bobigny, creteil]
    for member in w.voting:
        declare_all(member, everyone)
    score(w.president, montreuil, [4, 5])
    score(w.vice, montreuil, [3, 2])
    score(w.president, ivry, [5, 1])
    score(w.group, ivry, [2, 4])
    score(w.vice, bobigny, [5, 2])
    score(w.group, creteil, [1, 4])

    rows = {r.application.commune.name: r for r in queries.ranking(w.call)}
    assert set(rows) == {"Montreuil", "Ivry-sur-Seine", "Bobigny", "Créteil"}
    assert rows["Montreuil"].means == [Decimal("3.5"), Decimal("3.5")]
    assert rows["Montreuil"].weighted_total == Decimal("10.5")
    assert rows["Montreuil"].scorers == 2
    assert rows["Montreuil"].expected == 3  # three voting members, no conflict
    assert rows["Ivry-sur-Seine"].weighted_total == Decimal("8.5")
    assert rows["Bobigny"].weighted_total == Decimal("9")
    assert rows["Créteil"].weighted_total == Decimal("9")
    assert {n: r.rank for n, r in rows.items()} == {
        "Montreuil": 1,
        "Bobigny": 2,
        "Créteil": 2,
        "Ivry-sur-Seine": 4,
    }
    ordered = [r.application.commune.name for r in queries.ranking(w.call)]
    assert ordered == ["Montreuil", "Bobigny", "Créteil", "Ivry-sur-Seine"]
    assert queries.weighted_total_max(w.call, w.criteria) == 15


def test_ranking_hides_an_application_from_a_member_with_a_conflict():
    w = world(criteria=[("Critère A", 1)])
    montreuil, ivry, _ = w.applications
    declare_all(w.president, w.applications)
    declare_all(w.vice, w.applications, conflicts=[montreuil])
    score(w.president, montreuil, [5])
    score(w.president, ivry, [3])
    seen_by_vice = queries.ranking(w.call, w.vice)
    assert [r.application for r in seen_by_vice] == [ivry, montreuil]
    hidden = seen_by_vice[1]
    assert hidden.hidden and hidden.weighted_total is None and hidden.rank is None
    assert queries.scores_of_application(montreuil, w.vice) is None
    assert len(queries.scores_of_application(montreuil, w.president)) == 1
    seen_by_president = {r.application: r for r in queries.ranking(w.call, w.president)}
    assert seen_by_president[montreuil].expected == 2  # the vice-president's conflict
    assert seen_by_president[montreuil].scorers == 1
    assert montreuil.pk not in {s.application_id for s in queries.all_scores(w.call, w.vice)}


# --- Proposal --------------------------------------------------------------------------------


def test_only_the_chair_builds_and_validates_and_validation_freezes_scores():
    w = world()
    montreuil, ivry, _ = w.applications
    for member in w.voting:
        declare_all(member, w.applications)
    score(w.vice, montreuil, [4, 4, 4, 4, 4])
    with pytest.raises(SelectionError, match="Seul"):
        services.save_proposal(w.call, {montreuil.pk: 500}, comment="", by=w.vice.user)
    with pytest.raises(SelectionError, match="Seul"):
        services.save_proposal(w.call, {montreuil.pk: 500}, comment="", by=w.admin)
    with pytest.raises(SelectionError, match="aucune candidature"):
        services.validate_proposal(w.call, by=w.president.user)
    services.save_proposal(w.call, {montreuil.pk: 450}, comment="Diversité", by=w.president.user)
    with pytest.raises(SelectionError, match="Seul"):
        services.validate_proposal(w.call, by=w.vice.user)
    services.validate_proposal(w.call, by=w.president.user)
    proposal = Proposal.objects.get(call=w.call)
    assert proposal.is_validated and proposal.validated_by == w.president.user
    with pytest.raises(SelectionError, match="figées"):
        score(w.vice, montreuil, [1, 1, 1, 1, 1])
    with pytest.raises(SelectionError, match="figées"):
        declare_all(w.group, w.applications, conflicts=[ivry])
    with pytest.raises(SelectionError, match="déjà validée"):
        services.validate_proposal(w.call, by=w.president.user)
    with pytest.raises(SelectionError, match="déjà validée"):
        services.save_proposal(w.call, {}, comment="", by=w.president.user)
    assert Score.objects.get(member=w.vice, criterion=w.criteria[0]).value == 4


def test_a_delegate_chair_validates_and_the_president_no_longer_can():
    w = world()
    montreuil = w.applications[0]
    services.delegate_chair(w.call, to_member=w.vice, by=w.president.user)
    with pytest.raises(SelectionError, match="Seul"):
        services.save_proposal(w.call, {montreuil.pk: 10}, comment="", by=w.president.user)
    services.save_proposal(w.call, {montreuil.pk: 10}, comment="", by=w.vice.user)
    services.validate_proposal(w.call, by=w.vice.user)
    assert JournalEntry.objects.filter(action=JournalEntry.Action.PROPOSAL_VALIDATED).exists()


def test_the_proposal_takes_only_submitted_applications_with_carnets():
    w = world()
    montreuil, _, pantin = w.applications
    with pytest.raises(SelectionError, match="n'est pas déposée"):
        services.save_proposal(w.call, {pantin.pk: 10}, comment="", by=w.president.user)
    with pytest.raises(SelectionError, match="au moins un carnet"):
        services.save_proposal(w.call, {montreuil.pk: 0}, comment="", by=w.president.user)


# --- Bureau vote -----------------------------------------------------------------------------


def _validated(w, items):
    services.save_proposal(w.call, items, comment="", by=w.president.user)
    services.validate_proposal(w.call, by=w.president.user)


def _vote(w, selected, number="CB2021/11/17-03", **extra) -> BureauVote:
    return services.record_bureau_vote(
        w.call,
        VoteInput(
            voted_on=extra.pop("voted_on", date(2021, 11, 17)),
            deliberation_number=number,
            votes_for=extra.pop("votes_for", 30),
            votes_against=extra.pop("votes_against", 2),
            votes_abstaining=extra.pop("votes_abstaining", 3),
            selected_ids=[a.pk for a in selected],
        ),
        by=w.admin,
    )


def test_vote_before_validation_is_refused():
    w = world()
    with pytest.raises(SelectionError, match="après la validation"):
        _vote(w, [w.applications[0]])
    assert not BureauVote.objects.exists()


def test_vote_selects_creates_territories_and_emails_every_applicant(
    django_capture_on_commit_callbacks,
):
    w = world()
    montreuil, ivry, pantin = w.applications
    _validated(w, {montreuil.pk: 450})
    with django_capture_on_commit_callbacks(execute=True):
        vote = _vote(w, [montreuil])
    montreuil.refresh_from_db()
    ivry.refresh_from_db()
    pantin.refresh_from_db()
    assert montreuil.status == ApplicationStatus.SELECTED and montreuil.decided_at
    assert ivry.status == ApplicationStatus.NOT_SELECTED and ivry.decided_at
    assert pantin.status == ApplicationStatus.DRAFT  # a draft is not a candidate
    territory = Territory.objects.get(programme=w.call.programme, commune=montreuil.commune)
    assert territory.municipality == montreuil.municipality
    assert territory.booklets_allocated == 450
    assert territory.joined_on == date(2021, 11, 17)
    assert not Territory.objects.filter(commune=ivry.commune).exists()
    assert list(vote.selected_applications.all()) == [montreuil]
    subjects = sorted(m.subject for m in mail.outbox)
    assert len(mail.outbox) == 2
    assert subjects[0].endswith("candidature de Ivry-sur-Seine non retenue")
    assert subjects[1].endswith("candidature de Montreuil retenue")
    selected_mail = next(m for m in mail.outbox if "Montreuil" in m.subject)
    assert "referente@93048.example.org" in selected_mail.to
    assert montreuil.submitted_by.email in selected_mail.to
    assert "450 carnets" in selected_mail.body
    assert "CB2021/11/17-03" in selected_mail.body
    actions = JournalEntry.objects.values_list("action", flat=True)
    assert list(actions).count(JournalEntry.Action.BUREAU_VOTE_RECORDED) == 1
    assert list(actions).count(JournalEntry.Action.DECISION_NOTIFIED) == 2


def test_the_bureau_may_select_beyond_the_proposal_with_the_requested_carnets():
    w = world()
    montreuil, ivry, _ = w.applications
    _validated(w, {montreuil.pk: 450})
    _vote(w, [montreuil, ivry])
    assert Territory.objects.get(commune=ivry.commune).booklets_allocated == 400


def test_re_recording_the_vote_is_refused_and_changes_nothing(django_capture_on_commit_callbacks):
    w = world()
    montreuil, ivry, _ = w.applications
    _validated(w, {montreuil.pk: 450})
    _vote(w, [montreuil])
    journal = JournalEntry.objects.count()
    mail.outbox.clear()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(SelectionError, match="déjà enregistré"),
    ):
        _vote(w, [ivry], number="AUTRE-1")
    ivry.refresh_from_db()
    assert ivry.status == ApplicationStatus.NOT_SELECTED
    assert BureauVote.objects.count() == 1
    assert Territory.objects.filter(commune=ivry.commune).count() == 0
    assert JournalEntry.objects.count() == journal
    assert mail.outbox == []


def test_a_refused_vote_leaves_nothing_behind(django_capture_on_commit_callbacks):
    """The commune is already a territory of the programme: the whole vote is refused."""
    w = world()
    montreuil, ivry, _ = w.applications
    _validated(w, {montreuil.pk: 450, ivry.pk: 400})
    Territory.objects.create(
        programme=w.call.programme,
        municipality=ivry.municipality,
        commune=ivry.commune,
        joined_on=date(2021, 3, 1),
    )
    journal = JournalEntry.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(SelectionError, match="Déjà territoire du programme : Ivry-sur-Seine"),
    ):
        _vote(w, [montreuil, ivry])
    montreuil.refresh_from_db()
    assert montreuil.status == ApplicationStatus.SUBMITTED and montreuil.decided_at is None
    assert not BureauVote.objects.exists()
    assert not Territory.objects.filter(commune=montreuil.commune).exists()
    assert JournalEntry.objects.count() == journal
    assert mail.outbox == []


def test_deliberation_numbers_are_unique_per_funder_and_counts_non_negative():
    w = world()
    montreuil = w.applications[0]
    _validated(w, {montreuil.pk: 450})
    with pytest.raises(SelectionError, match="négatifs"):
        _vote(w, [montreuil], votes_against=-1)
    _vote(w, [montreuil], number="D-42")
    other_call = make_call(programme=w.call.programme)
    other_call.title = "3ème édition"
    other_call.save()
    chair_user = w.president.user
    president = CommitteeMember.objects.create(
        call=other_call,
        user=chair_user,
        function=MemberFunction.PRESIDENT,
        is_chair=True,
        added_by=w.admin,
    )
    app = application(other_call, "92004", "Asnières-sur-Seine")
    services.save_proposal(other_call, {app.pk: 10}, comment="", by=president.user)
    services.validate_proposal(other_call, by=president.user)
    with pytest.raises(SelectionError, match="d-42 est déjà enregistrée"):
        services.record_bureau_vote(
            other_call,
            VoteInput(date(2022, 1, 5), "d-42", 1, 0, 0, [app.pk]),
            by=w.admin,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        BureauVote.objects.create(
            call=other_call,
            funder=w.funder,
            voted_on=date(2022, 1, 5),
            deliberation_number="D-42",
            votes_for=1,
            votes_against=0,
            votes_abstaining=0,
            recorded_by=w.admin,
        )


def test_only_funder_admins_record_the_vote():
    w = world()
    montreuil = w.applications[0]
    _validated(w, {montreuil.pk: 450})
    staff = make_member(w.funder, Role.MEMBER).user
    with pytest.raises(SelectionError, match="administrateurs"):
        services.record_bureau_vote(
            w.call, VoteInput(date(2021, 11, 17), "X", 1, 0, 0, [montreuil.pk]), by=staff
        )
    assert not BureauVote.objects.exists()
