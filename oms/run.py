"""``make run``: migrate, load the demo, then serve the app with a Celery worker and beat.

Ctrl-C stops every process it started, and the embedded PostgreSQL and Redis if it used them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "oms.settings")
    os.environ.setdefault("DEBUG", "true")
    embedded_postgres = not os.environ.get("DATABASE_URL")
    embedded_redis = not os.environ.get("REDIS_URL")
    port = os.environ.get("PORT", "8000")

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()  # starts the embedded servers when no URL is set
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")

    python = sys.executable
    commands = {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [python, "-m", "celery", "-A", "oms", "worker", "-l", "warning", "--concurrency", "2"],
        "beat": [python, "-m", "celery", "-A", "oms", "beat", "-l", "warning"],
    }
    children = {name: subprocess.Popen(command, start_new_session=True) for name, command in commands.items()}
    print(f"\nOMS is running at http://127.0.0.1:{port}/  (Ctrl-C stops it)")
    print("Demo logins, password 'demo': agent, warehouse, manager, accountant, admin\n", flush=True)

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None:
                print(f"{name} exited with {child.returncode}; stopping the others.", file=sys.stderr)
                exit_code, stopping = 1, True
        time.sleep(0.3)

    for child in children.values():
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    if embedded_postgres or embedded_redis:
        from django.db import connections

        from oms.embedded import stop as stop_embedded

        connections.close_all()
        stop_embedded(settings.VAR_DIR, postgres=embedded_postgres, redis=embedded_redis)
    print("Stopped.")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
