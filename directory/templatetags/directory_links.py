"""``{% directory_url_for_pass pass_obj %}``: the directory filtered on the pass's perimeter."""

from urllib.parse import urlencode

from django import template
from django.urls import reverse

from directory.queries import MAX_INSEE_CODES

register = template.Library()


@register.simple_tag
def directory_url_for_pass(pass_obj) -> str:
    url = reverse("directory:index")
    if pass_obj is None:
        return url
    codes = list(
        pass_obj.order.perimeter.order_by("insee_code").values_list("insee_code", flat=True)[
            : MAX_INSEE_CODES + 1
        ]
    )
    if not codes or len(codes) > MAX_INSEE_CODES:
        return url
    return f"{url}?{urlencode({'insee': ','.join(codes)})}"
