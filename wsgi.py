"""WSGI entry point: ``gunicorn 'wsgi:app'`` (configuration from the environment)."""

from planner.web import create_app

app = create_app()
