"""How the app talks to PostgreSQL: parameters bound on the server, repeated statements prepared."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_a_statement_sent_again_and_again_is_prepared_once_on_the_server():
    assert connection.features.uses_server_side_binding
    statement = "SELECT %s::int + 1 AS prepared_statement_probe"
    with connection.cursor() as cursor:
        for number in range(6):
            cursor.execute(statement, [number])
            assert cursor.fetchone() == (number + 1,)
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                       ["%prepared_statement_probe%"])
        assert cursor.fetchone() == (1,)


def test_prepared_statements_can_be_turned_off_for_a_pooler():
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="oms.settings", DATABASE_PREPARED_STATEMENTS="false")
    code = ("import django; django.setup(); from django.conf import settings; "
            "options = settings.DATABASES['default']['OPTIONS']; "
            "print(options['server_side_binding'], options['prepare_threshold'])")

    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=120)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-2:] == ["True", "None"]
