from ninja import Field, Schema
from ninja.pagination import LimitOffsetPagination

MAX_LIMIT = 500


class PaginationInput(Schema):
    limit: int = Field(
        100, ge=1, le=MAX_LIMIT, description=f"Nombre d'éléments par page (1 à {MAX_LIMIT})."
    )
    offset: int = Field(0, ge=0, description="Nombre d'éléments à sauter depuis le début.")


class PaginationOutput(Schema):
    items: list = Field(description="Les éléments de la page.")
    count: int = Field(description="Nombre total d'éléments, toutes pages confondues.")


class Pagination(LimitOffsetPagination):
    """``limit``/``offset`` pagination, documented in French, with a bounded page size."""

    Input = PaginationInput
    Output = PaginationOutput

    def __init__(self, **kwargs) -> None:
        super().__init__(max_limit=MAX_LIMIT, **kwargs)
