"""``manage.py export_gl``: a batch of what is not yet exported, and any batch written again, byte-identical."""

from __future__ import annotations

import hashlib
import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command

from payments.ledger.models_export import ExportBatch
from tests.ledger_export_helpers import post
from tests.test_ledger_export_formats import parse

pytestmark = pytest.mark.django_db


def export_gl(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("export_gl", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def accountant(make_user):
    return make_user("Accountant")


@pytest.mark.parametrize("key", ["gp-xml", "gp-csv", "sage50", "iif", "csv"])
def test_export_gl_makes_a_batch_and_writes_it_again_byte_identical(key, accountant, tmp_path):
    entries = [post(accountant, date(2026, 11, 3), "12.50", memo="Café receipt"),
               post(accountant, date(2026, 11, 29), "1.05")]
    post(accountant, date(2026, 12, 1), "3.00")

    output = export_gl("--format", key, "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(tmp_path / "a"))
    batch = ExportBatch.objects.get()
    again = export_gl("--batch", str(batch.pk), "--out", str(tmp_path / "b"))

    assert output[-1] == again[-1] == f"batch {batch.pk}"
    data = (tmp_path / "a").read_bytes()
    assert (tmp_path / "b").read_bytes() == data
    assert hashlib.sha256(data).hexdigest() == batch.file_sha256
    assert len(parse(key, data)) == len(entries)
    assert sorted(batch.exported_entries.values_list("entry_id", flat=True)) == [entry.pk for entry in entries]


def test_export_gl_unexported_takes_only_what_is_left_for_that_target(accountant, tmp_path):
    post(accountant, date(2026, 11, 3))
    export_gl("--format", "gp-xml", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(tmp_path / "a"))
    later = post(accountant, date(2026, 12, 2))

    output = export_gl("--format", "gp-csv", "--unexported", "--summary", "--out", str(tmp_path / "b"))

    batch = ExportBatch.objects.get(pk=int(output[-1].split()[1]))
    assert (batch.target, batch.detail) == ("gp", "summary")
    assert list(batch.exported_entries.values_list("entry_id", flat=True)) == [later.pk]
    with pytest.raises(CommandError, match="nothing to export"):
        export_gl("--format", "gp-xml", "--unexported", "--out", str(tmp_path / "c"))


@pytest.mark.parametrize("args, message", [
    (["--format", "csv", "--out", "x"], "either --from and --to, or --unexported"),
    (["--format", "csv", "--from", "2026-11-01", "--out", "x"], "both --from and --to"),
    (["--format", "csv", "--from", "2026-11-01", "--to", "2026-13-01", "--out", "x"], "not a date"),
    (["--batch", "999", "--out", "x"], "there is no batch 999"),
    (["--batch", "1", "--format", "csv", "--out", "x"], "give only --out"),
    (["--out", "x"], "give --format"),
])
def test_export_gl_refuses_unclear_arguments(args, message):
    with pytest.raises(CommandError, match=message):
        export_gl(*args)
    assert not ExportBatch.objects.exists()
