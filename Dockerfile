# Production-like image: gunicorn serves the app; the same image runs the Celery worker and beat
# (see docker-compose.yml). Settings come from the environment (infusion_center/settings.py).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VAR_DIR=/app/var

WORKDIR /app

RUN groupadd --system app && useradd --system --gid app --home-dir /app --shell /usr/sbin/nologin app

# Dependencies first (cached while only the code changes). pyproject.toml installs no packages
# of its own: the code runs from /app.
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files are baked into the image and served by WhiteNoise. The build-time key is only
# for collectstatic; the container reads SECRET_KEY from its environment.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && mkdir -p /app/var/broker/in /app/var/broker/processed /app/var/sms \
    && chown -R app:app /app/var

USER app

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

CMD ["gunicorn", "infusion_center.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
