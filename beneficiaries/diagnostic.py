"""The short digital diagnostic: ten questions in plain language, pure scoring functions.

Eight skill questions are scored 0 (cannot), 1 (with help) or 2 (alone): the total (0–16) gives
the autonomy level. Each skill question answered below 2 adds its theme (one of the 9 services
of the national « Lieux de médiation numérique » schema) to the needs; the person's goals
(question 9, several answers) add theirs. Question 10 (time available) adjusts the number of
recommended passes, between 2 and 10.
"""

from dataclasses import dataclass

from operators.models import Service

from .models import AutonomyLevel

T = Service.Theme


@dataclass(frozen=True)
class Question:
    key: str
    text: str
    choices: tuple[tuple[str, str], ...]
    theme: str = ""
    multiple: bool = False


SKILL_CHOICES_DEVICE = (("0", "Non"), ("1", "Seulement un téléphone"), ("2", "Oui, un ordinateur"))
SKILL = (("0", "Non, jamais"), ("1", "Oui, avec de l'aide"), ("2", "Oui, seul(e)"))

QUESTIONS: tuple[Question, ...] = (
    Question(
        "device",
        "Avez-vous un ordinateur, une tablette ou un téléphone avec internet ?",
        SKILL_CHOICES_DEVICE,
        T.MATERIEL,
    ),
    Question(
        "connection",
        "Avez-vous une connexion internet chez vous ?",
        (("0", "Non"), ("1", "Seulement sur le téléphone"), ("2", "Oui, une box ou la fibre")),
        T.CONNEXION,
    ),
    Question(
        "use_device",
        "Savez-vous allumer l'appareil et ouvrir une application ?",
        SKILL,
        T.MAITRISE_OUTILS,
    ),
    Question("email", "Savez-vous lire et envoyer un e-mail ?", SKILL, T.MAITRISE_OUTILS),
    Question(
        "attachment",
        "Savez-vous envoyer une photo ou un document (par exemple un justificatif) ?",
        SKILL,
        T.MAITRISE_OUTILS,
    ),
    Question("search", "Savez-vous chercher une information sur internet ?", SKILL, T.CULTURE),
    Question(
        "procedures",
        "Savez-vous faire une démarche en ligne (CAF, impôts, France Travail, santé) ?",
        SKILL,
        T.AIDE_DEMARCHES,
    ),
    Question(
        "security",
        "Savez-vous reconnaître un message frauduleux et protéger vos mots de passe ?",
        SKILL,
        T.UTILISATION_SECURISEE,
    ),
    Question(
        "goals",
        "Qu'aimeriez-vous faire avec le numérique ?",
        (
            ("procedures", "Faire mes démarches"),
            ("job", "Chercher un emploi ou une formation"),
            ("children", "Suivre la scolarité de mes enfants"),
            ("family", "Échanger avec mes proches"),
            ("security", "Me protéger en ligne"),
            ("leisure", "Loisirs et création"),
        ),
        multiple=True,
    ),
    Question(
        "time",
        "Combien de séances pouvez-vous suivre dans les prochains mois ?",
        (("few", "Une ou deux"), ("some", "Trois à cinq"), ("many", "Plus de cinq")),
    ),
)

SKILL_KEYS = tuple(q.key for q in QUESTIONS if q.theme)
GOAL_THEMES = {
    "procedures": T.AIDE_DEMARCHES,
    "job": T.INSERTION_PRO,
    "children": T.PARENTALITE,
    "family": T.MAITRISE_OUTILS,
    "security": T.UTILISATION_SECURISEE,
    "leisure": T.LOISIRS,
}
THEME_ORDER = [value for value, _ in T.choices]
MIN_PASSES, MAX_PASSES = 2, 10


@dataclass(frozen=True)
class Result:
    score: int
    level: str
    needs: list[str]
    recommended_passes: int


class DiagnosticError(ValueError):
    pass


def validate(answers: dict) -> dict:
    """Clean answers: every skill question and the time question answered with a known value."""
    clean: dict = {}
    for q in QUESTIONS:
        allowed = {value for value, _ in q.choices}
        value = answers.get(q.key)
        if q.multiple:
            values = list(value or [])
            if any(v not in allowed for v in values):
                raise DiagnosticError(f"Réponse inconnue à la question « {q.text} ».")
            clean[q.key] = [v for v, _ in q.choices if v in values]
        else:
            if value not in allowed:
                raise DiagnosticError(f"Répondez à la question « {q.text} ».")
            clean[q.key] = value
    return clean


def score(answers: dict) -> int:
    return sum(int(answers[key]) for key in SKILL_KEYS)


def autonomy_level(total: int) -> str:
    if total <= 5:
        return AutonomyLevel.BEGINNER
    if total <= 11:
        return AutonomyLevel.INTERMEDIATE
    return AutonomyLevel.AUTONOMOUS


def needs(answers: dict) -> list[str]:
    themes = {q.theme for q in QUESTIONS if q.theme and int(answers[q.key]) < 2}
    themes |= {GOAL_THEMES[g] for g in answers.get("goals", [])}
    return [t for t in THEME_ORDER if t in themes]


def recommended_passes(level: str, need_count: int, time: str) -> int:
    base = {AutonomyLevel.BEGINNER: 6, AutonomyLevel.INTERMEDIATE: 4}.get(level, 2)
    base += max(0, need_count - 2)
    base += {"few": -2, "some": 0, "many": 2}[time]
    return max(MIN_PASSES, min(MAX_PASSES, base))


def evaluate(answers: dict) -> Result:
    clean = validate(answers)
    total = score(clean)
    level = autonomy_level(total)
    themes = needs(clean)
    return Result(
        total,
        str(level),
        [str(t) for t in themes],
        recommended_passes(level, len(themes), clean["time"]),
    )


# The same needs in the Coop de la médiation numérique's `thematiques` vocabulary, so that
# figures compare with the Coop's activity reports.
COOP_THEMES_BY_SKILL = {
    "device": "prendre_en_main_du_materiel",
    "connection": "navigation_sur_internet",
    "use_device": "prendre_en_main_du_materiel",
    "email": "email",
    "attachment": "gere_ses_contenus_numeriques",
    "search": "navigation_sur_internet",
    "procedures": "aide_aux_demarches_administratives",
    "security": "securite_numerique",
}
COOP_THEMES_BY_GOAL = {
    "procedures": "aide_aux_demarches_administratives",
    "job": "insertion_professionnelle",
    "children": "parentalite",
    "family": "email",
    "security": "securite_numerique",
    "leisure": "creer_avec_le_numerique",
}


COOP_LABELS = {
    "prendre_en_main_du_materiel": "Prendre en main du matériel",
    "navigation_sur_internet": "Navigation sur internet",
    "email": "E-mail",
    "gere_ses_contenus_numeriques": "Gérer ses contenus numériques",
    "aide_aux_demarches_administratives": "Aide aux démarches administratives",
    "securite_numerique": "Sécurité numérique",
    "insertion_professionnelle": "Insertion professionnelle",
    "parentalite": "Parentalité",
    "creer_avec_le_numerique": "Créer avec le numérique",
}


def coop_themes(answers: dict) -> list[str]:
    """The needs as Coop `thematiques` values, in question order, without repeats."""
    if not answers:
        return []
    themes = [COOP_THEMES_BY_SKILL[k] for k in SKILL_KEYS if int(answers.get(k, 2)) < 2]
    themes += [COOP_THEMES_BY_GOAL[g] for g in answers.get("goals", [])]
    return list(dict.fromkeys(themes))
