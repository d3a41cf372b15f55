"""WSGI entry point: `gunicorn wsgi:app`.  The one place an app is built at import, by design."""
from pos import create_app

app = create_app()
