"""API endpoints: custody. Mounted at /api/v1/ by api/api.py."""

from ninja import Router

router = Router()
