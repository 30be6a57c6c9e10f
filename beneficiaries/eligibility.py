"""PIC eligibility (Plan d'investissement dans les compétences), derived from the record.

The exact rule implemented here:

* **Job seekers with a low qualification.** The person is a job seeker (``job_seeker``) and
  their diploma level is
  - under ``BELOW_BAC`` (the 2020 call for projects): « sans diplôme » or « CAP, BEP »;
  - under ``UP_TO_BAC`` (Code du travail L.6122-1 II): the same, or « baccalauréat ».
  Basis: ``{"rule": "BELOW_BAC" | "UP_TO_BAC", "criterion": "job_seeker", "diploma": …,
  "job_seeker": true}``.
* **Young people who left school early** (16–25 without a qualification): the age band is
  « 18 à 24 ans » (the Coop's bands cannot tell a 16-year-old from a 13-year-old, so the
  12–17 band is not counted), the diploma level is « sans diplôme » and the person is not in
  school (social status other than « scolarisé »). This criterion is the same under both rules.
  Basis: ``{"rule": …, "criterion": "young_early_leaver", "age_band": …, "diploma": …}``.
* Otherwise not eligible; a « non communiqué » diploma level never makes a person eligible.
  Basis: ``{"rule": …, "criterion": null, "diploma": …, "job_seeker": …}``.

Without a programme the stricter ``BELOW_BAC`` rule applies.
"""

from typing import Any

from programmes.models import Programme

from .models import AgeBand, DiplomaLevel, SocialStatus

DIPLOMAS_BY_RULE: dict[str, frozenset[str]] = {
    Programme.PicRule.BELOW_BAC: frozenset({DiplomaLevel.NONE, DiplomaLevel.CAP_BEP}),
    Programme.PicRule.UP_TO_BAC: frozenset(
        {DiplomaLevel.NONE, DiplomaLevel.CAP_BEP, DiplomaLevel.BAC}
    ),
}


def pic_eligibility(
    *,
    rule: str,
    diploma_level: str,
    job_seeker: bool,
    age_band: str,
    social_status: str,
) -> tuple[bool, dict[str, Any]]:
    """Whether the person belongs to the PIC publics under ``rule``, and the basis."""
    if rule not in DIPLOMAS_BY_RULE:
        raise ValueError(f"Règle PIC inconnue : {rule}")
    rule = str(rule)
    if job_seeker and diploma_level in DIPLOMAS_BY_RULE[rule]:
        return True, {
            "rule": rule,
            "criterion": "job_seeker",
            "diploma": diploma_level,
            "job_seeker": True,
        }
    if (
        age_band == AgeBand.FROM_18
        and diploma_level == DiplomaLevel.NONE
        and social_status != SocialStatus.SCHOOL
    ):
        return True, {
            "rule": rule,
            "criterion": "young_early_leaver",
            "age_band": age_band,
            "diploma": diploma_level,
        }
    return False, {
        "rule": rule,
        "criterion": None,
        "diploma": diploma_level,
        "job_seeker": bool(job_seeker),
    }


def rule_for(programme: Programme | None) -> str:
    return programme.pic_rule if programme is not None else Programme.PicRule.BELOW_BAC
