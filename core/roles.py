"""What each kind of organisation does in a programme, as shown on its home page."""

from organisations.models import Organisation

Kind = Organisation.Kind

MISSIONS: dict[str, dict] = {
    Kind.FUNDER: {
        "title": "Espace commanditaire",
        "summary": (
            "Vous pilotez le programme : appel à manifestation d'intérêt, commandes de carnets, "
            "répartition entre les territoires et suivi de l'usage des pass."
        ),
        "tasks": [
            "Gérer les programmes et leurs territoires d'expérimentation",
            "Commander les carnets et les répartir entre les collectivités",
            "Suivre les volumes de pass distribués et encaissés, et la part des publics PIC",
        ],
    },
    Kind.MUNICIPALITY: {
        "title": "Espace collectivité",
        "summary": (
            "Votre commune est territoire d'expérimentation : son référent confie les pass aux "
            "prescripteurs et suit leur usage sur le territoire."
        ),
        "tasks": [
            "Confier les carnets aux structures prescriptrices du territoire",
            "Mobiliser les prescripteurs et les opérateurs locaux",
            "Suivre les volumes de pass écoulés et préparer le retour d'expérience",
        ],
    },
    Kind.HUB: {
        "title": "Espace hub territorial",
        "summary": (
            "Vous rendez un avis sur les candidatures, formez prescripteurs et opérateurs et "
            "évaluez le dispositif."
        ),
        "tasks": [
            "Rendre un avis sur chaque candidature à l'AMI",
            "Former les prescripteurs et les opérateurs",
            "Animer les comités de suivi et l'évaluation",
        ],
    },
    Kind.PRESCRIBER: {
        "title": "Espace prescripteur",
        "summary": (
            "Vous repérez les personnes en difficulté avec le numérique, leur remettez des pass et "
            "les orientez vers un lieu qualifié."
        ),
        "tasks": [
            "Accuser réception des carnets confiés",
            "Faire un diagnostic numérique court et remettre des pass",
            "Orienter vers les lieux de médiation numérique qualifiés et suivre l'usage",
        ],
    },
    Kind.OPERATOR: {
        "title": "Espace opérateur",
        "summary": (
            "Votre lieu de médiation numérique est qualifié : vous acceptez les pass en "
            "paiement de vos services d'accompagnement et êtes remboursé chaque mois."
        ),
        "tasks": [
            "Présenter vos lieux et votre catalogue de services",
            "Encaisser les pass (scan ou saisie du code)",
            "Suivre vos relevés et vos contre-paiements",
        ],
    },
    Kind.ISSUER: {
        "title": "Espace émetteur",
        "summary": (
            "Vous émettez et imprimez les pass, qualifiez les opérateurs et leur reversez la "
            "valeur des pass encaissés."
        ),
        "tasks": [
            "Émettre les carnets et produire les fichiers d'impression",
            "Qualifier et référencer les opérateurs",
            "Préparer les contre-paiements mensuels",
        ],
    },
}


def mission_for(kind: str) -> dict:
    return MISSIONS[kind]
