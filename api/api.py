from ninja import NinjaAPI

api = NinjaAPI(
    title="API Passnum",
    version="1",
    description="API de la plateforme Passnum.",
    urls_namespace="api",
)
