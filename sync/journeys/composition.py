"""What the app factory registers for journeys (HQ and standalone, where the web shop and timeline meet)."""
from __future__ import annotations


def register_journeys(app) -> None:
    if app.config["POS_ROLE"] not in ("hq", "standalone"):
        return
    from sync.journeys.api import api
    from sync.journeys.views import bp
    app.register_api(api)
    app.register_blueprint(bp)
