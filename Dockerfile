# The production image: gunicorn serving oms.wsgi on port 8000; docker-compose.yml also runs
# the Celery worker and beat from it. Configuration comes from the environment (README.md).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Pango and HarfBuzz for WeasyPrint (PDF documents), and a font for it to draw with.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# Static files are collected at build time under production settings. The settings need a key
# and server URLs to load, not the servers themselves: these values exist only in this step.
RUN DEBUG=false \
    SECRET_KEY=build-time-only-not-a-secret \
    DATABASE_URL=postgres://build@build.invalid/build \
    REDIS_URL=redis://build.invalid:6379/0 \
    python manage.py collectstatic --noinput --verbosity 0

# The code stays root-owned and read-only to the app; var/ (beat's schedule, media) is its own.
RUN useradd --system --create-home --uid 10001 oms \
    && mkdir -p /app/var/media \
    && chown oms:oms /app/var /app/var/media
USER oms

# Production refuses to start without SECRET_KEY rather than inventing one.
ENV DEBUG=false \
    REQUIRE_SECRET_KEY=true

EXPOSE 8000
CMD ["gunicorn", "oms.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
