"""Reads on API tokens. A user only ever reaches their own tokens."""

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import F, QuerySet
from django.http import Http404

from ledger.redemption_queries import hot_cursor

from .models import ApiToken, hash_token, is_well_formed

User = get_user_model()


def tokens_of(user) -> QuerySet[ApiToken]:
    """The user's tokens, active ones first, newest first."""
    if not user.is_authenticated:
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=user).order_by(
        F("revoked_at").desc(nulls_first=True), "-created_at", "-id"
    )


def get_own_token_or_404(user, token_id: int) -> ApiToken:
    """One of the user's tokens; another user's token is a 404, as if it did not exist."""
    token = tokens_of(user).select_related("user").filter(pk=token_id).first()
    if token is None:
        raise Http404("Jeton introuvable.")
    return token


def find_token(clear_token: str) -> ApiToken | None:
    """The token matching a clear token (revoked or not), with its user; None if unknown.

    Every API request runs this: one hand-written query on the unique token_hash index, the
    rows turned into model instances with the ORM's own converters (compiling the equivalent
    select_related query cost more than the rest of a redemption)."""
    if not is_well_formed(clear_token):
        return None
    token_hash = hash_token(clear_token)
    loader = _token_loader()
    with hot_cursor() as cursor:
        cursor.execute(loader.sql, [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    return loader.load(row)


class _Loader:
    """Build instances of models from the columns of one row, as the ORM would."""

    def __init__(self, *models):
        self.parts = []
        columns = []
        for alias, model in enumerate(models):
            table = model._meta.db_table
            fields = model._meta.concrete_fields
            converters = []
            for index, field in enumerate(fields):
                col = field.get_col(table)
                found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if found:
                    converters.append((index, col, found))
            start = len(columns)
            columns += [f"t{alias}.{connection.ops.quote_name(f.column)}" for f in fields]
            self.parts.append((model, [f.attname for f in fields], start, len(columns), converters))
        self.columns = ", ".join(columns)

    def load(self, row) -> list:
        instances = []
        for model, attnames, start, end, converters in self.parts:
            values = list(row[start:end])
            for index, col, found in converters:
                for converter in found:
                    values[index] = converter(values[index], col, connection)
            instances.append(model.from_db(connection.alias, attnames, values))
        return instances


class _TokenLoader(_Loader):
    def __init__(self):
        super().__init__(ApiToken, User)
        q = connection.ops.quote_name
        self.sql = (
            f"SELECT {self.columns} FROM {q(ApiToken._meta.db_table)} t0 "  # noqa: S608
            f"INNER JOIN {q(User._meta.db_table)} t1 ON t1.id = t0.user_id "
            "WHERE t0.token_hash = %s"
        )

    def load(self, row) -> ApiToken:
        token, user = super().load(row)
        token.user = user
        return token


_LOADERS: dict[str, _TokenLoader] = {}


def _token_loader() -> _TokenLoader:
    loader = _LOADERS.get(connection.alias)
    if loader is None or loader.vendor != connection.vendor:
        loader = _LOADERS[connection.alias] = _TokenLoader()
        loader.vendor = connection.vendor
    return loader
