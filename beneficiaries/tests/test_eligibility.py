"""PIC eligibility under both programme rules."""

import pytest

from beneficiaries.eligibility import pic_eligibility


def check(rule, diploma, job_seeker=False, age="quarante_cinquante_neuf", status="sans_emploi"):
    return pic_eligibility(
        rule=rule, diploma_level=diploma, job_seeker=job_seeker, age_band=age, social_status=status
    )


@pytest.mark.parametrize(
    "diploma,below,up_to",
    [
        ("sans_diplome", True, True),
        ("cap_bep", True, True),
        ("bac", False, True),
        ("bac_2", False, False),
        ("bac_3_plus", False, False),
        ("non_communique", False, False),
    ],
)
def test_job_seekers_by_diploma(diploma, below, up_to):
    assert check("BELOW_BAC", diploma, job_seeker=True)[0] is below
    assert check("UP_TO_BAC", diploma, job_seeker=True)[0] is up_to


def test_basis_is_stored():
    assert check("BELOW_BAC", "cap_bep", job_seeker=True) == (
        True,
        {"rule": "BELOW_BAC", "criterion": "job_seeker", "diploma": "cap_bep", "job_seeker": True},
    )
    assert check("UP_TO_BAC", "bac") == (
        False,
        {"rule": "UP_TO_BAC", "criterion": None, "diploma": "bac", "job_seeker": False},
    )


def test_young_early_leavers():
    eligible, basis = check("BELOW_BAC", "sans_diplome", age="dix_huit_vingt_quatre")
    assert eligible and basis["criterion"] == "young_early_leaver"
    # Still at school, or with a diploma, or in the 12–17 band: not counted.
    assert not check("BELOW_BAC", "sans_diplome", age="dix_huit_vingt_quatre", status="scolarise")[
        0
    ]
    assert not check("UP_TO_BAC", "cap_bep", age="dix_huit_vingt_quatre")[0]
    assert not check("UP_TO_BAC", "sans_diplome", age="douze_dix_huit")[0]


def test_not_a_job_seeker_below_bac_is_not_eligible():
    assert not check("BELOW_BAC", "cap_bep")[0]


def test_unknown_rule():
    with pytest.raises(ValueError):
        check("ANY", "bac")
