# Linux BenchTools server: gunicorn + uvicorn's worker on port 8007, SQLite in /app/data by
# default (DATABASE_URL=postgres://… for PostgreSQL). See README "Operations".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# postgresql-client: pg_dump/pg_restore for `manage.py backup`/`restore` on PostgreSQL.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 benchtools \
    && useradd --system --uid 1000 --gid benchtools --no-create-home \
        --home-dir /nonexistent --shell /usr/sbin/nologin benchtools

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code stays owned by root: the server process can write only its data directories.
COPY . .
# Its bytecode too, written here: PYTHONDONTWRITEBYTECODE (above) keeps every process from
# writing it, so each manage.py command and server start compiled the apps again (0.1 s of CPU
# each, perf/startup.py). pip has compiled the requirements already.
RUN python -m compileall -q benchsite inventory benchmarks documents insights
# Static files are built into the image (hashed, compressed names served by whitenoise). The
# secrets here only satisfy the settings' production check; nothing is signed at build time.
RUN DEBUG=false SECRET_KEY=collectstatic-only API_TOKEN=collectstatic-only-not-a-token \
    ENV_FILE=/nonexistent DATABASE_URL=sqlite:////tmp/collectstatic.sqlite3 \
    python manage.py collectstatic --noinput -v 0
RUN mkdir -p /app/data /app/uploads /app/backups \
    && chown benchtools:benchtools /app/data /app/uploads /app/backups

ENV DATABASE_URL=sqlite:////app/data/data.db \
    UPLOAD_DIR=/app/uploads \
    BACKUP_DIR=/app/backups \
    PORT=8007
VOLUME ["/app/data", "/app/uploads", "/app/backups"]

USER benchtools
EXPOSE 8007
# A long start period: an upgrade's migrate applies this version's rules to every stored run
# before gunicorn starts (README, "Upgrade": minutes for 100,000 runs). It ends at the first
# healthy answer, so an ordinary start is healthy within seconds all the same.
HEALTHCHECK --interval=30s --timeout=5s --start-period=15m --retries=3 \
    CMD ["python", "docker/healthcheck.py"]
ENTRYPOINT ["docker/entrypoint.sh"]
# The command scripts/serve runs (gunicorn.conf.py reads PORT, WEB_CONCURRENCY, …).
CMD ["gunicorn", "-c", "gunicorn.conf.py"]
