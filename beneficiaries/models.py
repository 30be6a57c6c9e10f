"""Beneficiaries: pseudonymous records (first cut; the prescription issue adds the diagnostic,
PIC/QPV fields, consent and retention)."""

import secrets

from django.conf import settings
from django.db import models

CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A printed reference such as « B-7K3M-9QX2 » (40 random bits, Crockford base32)."""
    raw = "".join(secrets.choice(CROCKFORD) for _ in range(8))
    return f"B-{raw[:4]}-{raw[4:]}"


class Beneficiary(models.Model):
    reference = models.CharField("référence", max_length=11, unique=True, default=new_reference)
    prescriber = models.ForeignKey(
        "organisations.Organisation",
        verbose_name="structure prescriptrice",
        on_delete=models.PROTECT,
        related_name="beneficiaries",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField("créé le", auto_now_add=True)

    class Meta:
        verbose_name = "bénéficiaire"
        verbose_name_plural = "bénéficiaires"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference
