from django import forms


class PeriodForm(forms.Form):
    """The optional period of the co-financing report (dates the passes were used)."""

    du = forms.DateField(
        label="Pass utilisés à partir du",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )
    au = forms.DateField(
        label="jusqu'au (inclus)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide (jj/mm/aaaa)."},
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("du"), data.get("au")
        if start and end and end < start:
            self.add_error("au", "La fin de la période précède son début.")
        return data
