"""The models and the migrations agree: a model change without its migration fails here."""

from io import StringIO

from django.core.management import call_command


def test_no_model_change_lacks_a_migration(db):
    output = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=output, stderr=output)
