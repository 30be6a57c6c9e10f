"""Documents: stored under a random name outside the web root, served as attachments only;
replaced or removed while draft. Submission: an e-mail to the submitter and the référent with
the PDF receipt (parsed back with pypdf), also downloadable."""

import hashlib
import io
import re
from datetime import datetime

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from ami import queries, services
from ami.models import ApplicationDocument
from ami.queries import PARIS
from journal.models import JournalEntry

from .helpers import pdf_bytes, stored_files, upload

pytestmark = pytest.mark.django_db


def test_a_pdf_is_stored_under_a_random_name_with_its_hash(world, client):
    application = world.application()
    required = world.call.required_documents.first()
    content = pdf_bytes("Dossier de Pantin")
    client.force_login(world.pantin.user)
    org = world.pantin.organisation.pk
    response = client.post(
        reverse("ami:document_upload", args=[org, application.pk, required.pk]),
        {"file": upload("../../etc/Dossier <Pantin>.PDF", content)},
        follow=True,
    )
    assert "pièce déposée" in response.content.decode()
    document = ApplicationDocument.objects.get()
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert document.size == len(content)
    assert document.original_name == "Dossier Pantin.PDF"
    assert re.fullmatch(
        rf"ami/{world.call.pk}/{application.pk}/[0-9a-f]{{32}}\.pdf", document.file.name
    )
    assert stored_files() == {document.file.name}
    assert str(settings.MEDIA_ROOT) not in str(settings.STATIC_ROOT)
    assert JournalEntry.objects.filter(
        action=JournalEntry.Action.APPLICATION_DOCUMENT_ADDED
    ).exists()

    download = client.get(reverse("ami:document_download", args=[org, application.pk, document.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == content
    assert JournalEntry.objects.filter(
        action=JournalEntry.Action.APPLICATION_DOCUMENT_DOWNLOADED
    ).exists()


def test_replace_and_remove_while_draft(world, client, django_capture_on_commit_callbacks):
    application = world.application()
    required = world.call.required_documents.first()
    org = world.pantin.organisation.pk
    client.force_login(world.pantin.user)
    url = reverse("ami:document_upload", args=[org, application.pk, required.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": upload("v1.pdf", pdf_bytes("v1"))})
    first = ApplicationDocument.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url, {"file": upload("v2.pdf", pdf_bytes("v2"))})
    second = ApplicationDocument.objects.get()
    assert second.original_name == "v2.pdf"
    assert stored_files() == {second.file.name} != {first.file.name}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("ami:document_remove", args=[org, application.pk, second.pk]))
    assert ApplicationDocument.objects.count() == 0
    assert stored_files() == set()


def test_submission_sends_the_receipt_to_the_submitter_and_the_referent(world, client):
    application = world.complete()
    client.force_login(world.pantin.user)
    org = world.pantin.organisation.pk
    moment = datetime(2021, 10, 15, 19, 42, 7, tzinfo=PARIS)
    with time_machine.travel(moment, tick=False):
        client.force_login(world.pantin.user)
        response = client.post(
            reverse("ami:application_submit", args=[org, application.pk]), follow=True
        )
    assert "Candidature déposée le 15/10/2021 à 19:42" in response.content.decode()
    application.refresh_from_db()
    number = queries.receipt_number(application)
    assert number == f"AR-2021-{world.call.pk:04d}-{application.pk:06d}"

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [world.pantin.user.email, "referente@ville.example"]
    assert number in message.subject and "Pantin" in message.subject
    assert "15/10/2021 à 19:42" in message.body
    (filename, content, mimetype) = message.attachments[0]
    assert filename == f"accuse-reception-{number}.pdf" and mimetype == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    flat = re.sub(r"\s+", "", text)
    assert "Accusé de réception" in text
    assert number in text
    assert "Pantin" in text and "93055" in text
    assert "15/10/2021 à 19:42" in text
    assert re.sub(r"\s+", "", world.call.title) in flat
    for document in application.documents.all():
        assert document.sha256 in flat
        assert re.sub(r"\s+", "", document.required_document.label) in flat

    # The same receipt is downloadable from the application page.
    with time_machine.travel(moment, tick=False):
        client.force_login(world.pantin.user)
        page = client.get(reverse("ami:application", args=[org, application.pk]))
        assert "accuse-de-reception.pdf" in page.content.decode()
        receipt = client.get(reverse("ami:receipt", args=[org, application.pk]))
    assert receipt["Content-Disposition"].startswith("attachment;")
    assert number in PdfReader(io.BytesIO(receipt.content)).pages[0].extract_text()
    assert JournalEntry.objects.filter(
        action=JournalEntry.Action.APPLICATION_SUBMITTED, object_id=str(application.pk)
    ).exists()


def test_a_mail_failure_does_not_undo_the_submission(world, settings, monkeypatch):
    application = world.complete()

    def broken(*args, **kwargs):
        raise OSError("SMTP indisponible")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", broken)
    application = services.submit_application(application, by=world.pantin.user)
    assert application.status == "SUBMITTED"
    assert mail.outbox == []


def test_a_draft_has_no_receipt(world, client):
    application = world.application()
    client.force_login(world.pantin.user)
    url = reverse("ami:receipt", args=[world.pantin.organisation.pk, application.pk])
    assert client.get(url).status_code == 404
