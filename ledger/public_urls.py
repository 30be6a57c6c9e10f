"""The public check page of a pass: /p/<serial>.<code> (see views_redeem)."""

urlpatterns: list = []
