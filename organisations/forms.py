from django import forms

from .models import Role


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Adresse e-mail de la personne à inviter")
    role = forms.ChoiceField(
        label="Rôle",
        choices=Role.choices,
        initial=Role.MEMBER,
        help_text=(
            "Administrateur : gère les membres et tout l'espace. Membre : agit au nom de "
            "l'organisation. Lecture seule : consulte sans rien modifier."
        ),
    )


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Rôle", choices=Role.choices)
