"""WSGI entry point: ``gunicorn -k gevent wsgi:app`` (started by ``fieldpost serve`` as the web service)."""

from webmail import create_app

app = create_app()
