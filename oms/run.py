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
    # No Stripe key: localstripe on loopback is the gateway (the SDK and Elements point at it).
    test_gateway = _start_test_gateway(port) if not os.environ.get("STRIPE_API_KEY") else None

    import django
    from django.conf import settings
    from django.core.management import call_command

    django.setup()  # starts the embedded servers when no URL is set
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")

    if test_gateway is not None:
        from oms.test_gateway import register_webhook

        register_webhook(os.environ["STRIPE_API_BASE"], webhook_url=f"http://127.0.0.1:{port}/payments/stripe/webhook/",
                         secret=settings.STRIPE_WEBHOOK_SECRET)

    python = sys.executable
    queues = f"{settings.CELERY_TASK_DEFAULT_QUEUE},{settings.CELERY_PAYMENTS_QUEUE},{settings.CELERY_REPORTS_QUEUE}"
    commands = {
        "web": [python, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        "worker": [python, "-m", "celery", "-A", "oms", "worker", "-l", "warning", "--concurrency", "2",
                   "-Q", queues],
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
    if test_gateway is not None and test_gateway.poll() is None:
        test_gateway.terminate()
        try:
            test_gateway.wait(timeout=10)
        except subprocess.TimeoutExpired:
            test_gateway.kill()
    if embedded_postgres or embedded_redis:
        from django.db import connections

        from oms.embedded import stop as stop_embedded

        connections.close_all()
        stop_embedded(settings.VAR_DIR, postgres=embedded_postgres, redis=embedded_redis)
    print("Stopped.")
    return exit_code


def _start_test_gateway(web_port: str) -> subprocess.Popen:
    """Start localstripe on loopback and point the settings (through the environment) at it."""
    from oms.test_gateway import TEST_API_KEY, TEST_PUBLISHABLE_KEY, start

    process, url = start(int(os.environ.get("LOCALSTRIPE_PORT", "8420")))
    os.environ.update({
        "STRIPE_API_KEY": TEST_API_KEY, "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY, "STRIPE_API_BASE": url,
        "STRIPE_JS_URL": f"{url}/js.stripe.com/v3/",
    })
    os.environ.setdefault("STRIPE_WEBHOOK_SECRET", "whsec_localstripe_demo")
    print(f"Test gateway (localstripe) at {url}; card orders use Stripe's test cards", flush=True)
    return process


if __name__ == "__main__":
    sys.exit(main())
