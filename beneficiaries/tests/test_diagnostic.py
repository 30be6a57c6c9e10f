"""The diagnostic's pure functions: score, autonomy level, needs (national themes), passes."""

import pytest

from beneficiaries import diagnostic
from beneficiaries.models import AutonomyLevel
from operators.models import Service

from .helpers import ANSWERS

T = Service.Theme


def answers(**changes):
    data = dict(ANSWERS)
    data.update(changes)
    return data


def test_ten_questions_each_with_a_plain_text():
    assert len(diagnostic.QUESTIONS) == 10
    assert len({q.key for q in diagnostic.QUESTIONS}) == 10
    assert all(q.text.endswith("?") for q in diagnostic.QUESTIONS)


def test_beginner_needs_everything_and_gets_many_passes():
    skills = dict.fromkeys(diagnostic.SKILL_KEYS, "0")
    result = diagnostic.evaluate(answers(**skills, goals=["job"], time="many"))
    assert result.score == 0
    assert result.level == AutonomyLevel.BEGINNER
    assert result.needs == [
        T.AIDE_DEMARCHES,
        T.MAITRISE_OUTILS,
        T.INSERTION_PRO,
        T.UTILISATION_SECURISEE,
        T.CULTURE,
        T.MATERIEL,
        T.CONNEXION,
    ]
    # 6 (beginner) + 5 (7 needs beyond 2) + 2 (many sessions) = 13, capped at 10.
    assert result.recommended_passes == 10


def test_intermediate_level_and_passes():
    result = diagnostic.evaluate(answers())  # every skill "with help": 8 points
    assert (result.score, result.level) == (8, AutonomyLevel.INTERMEDIATE)
    # 4 (intermediate) + 4 (6 needs beyond 2) + 0 = 8
    assert result.recommended_passes == 8


def test_autonomous_person_needs_only_their_goals():
    skills = dict.fromkeys(diagnostic.SKILL_KEYS, "2")
    result = diagnostic.evaluate(answers(**skills, goals=["children", "leisure"], time="few"))
    assert (result.score, result.level) == (16, AutonomyLevel.AUTONOMOUS)
    assert result.needs == [T.PARENTALITE, T.LOISIRS]
    assert result.recommended_passes == 2  # 2 + 0 - 2 = 0, raised to the minimum


@pytest.mark.parametrize(
    "total,level",
    [(5, AutonomyLevel.BEGINNER), (6, AutonomyLevel.INTERMEDIATE), (11, "intermediaire"),
     (12, AutonomyLevel.AUTONOMOUS)],
)  # fmt: skip
def test_level_thresholds(total, level):
    assert diagnostic.autonomy_level(total) == level


def test_missing_or_unknown_answer_is_refused_in_french():
    with pytest.raises(diagnostic.DiagnosticError, match="Répondez à la question"):
        diagnostic.evaluate(answers(email=None))
    with pytest.raises(diagnostic.DiagnosticError, match="Réponse inconnue"):
        diagnostic.evaluate(answers(goals=["hack"]))


def test_needs_in_the_coop_vocabulary():
    skills = dict.fromkeys(diagnostic.SKILL_KEYS, "2")
    data = answers(**{**skills, "email": "0", "security": "1"}, goals=["job", "security"])
    assert diagnostic.coop_themes(data) == [
        "email",
        "securite_numerique",
        "insertion_professionnelle",
    ]
    assert diagnostic.coop_themes({}) == []


def test_every_coop_theme_has_a_french_label():
    used = set(diagnostic.COOP_THEMES_BY_SKILL.values()) | set(
        diagnostic.COOP_THEMES_BY_GOAL.values()
    )
    assert used == set(diagnostic.COOP_LABELS)
