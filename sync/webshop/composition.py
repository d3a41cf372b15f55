"""What the app factory registers for the web-shop sync API (HQ and standalone nodes)."""
from __future__ import annotations


def register_webshop(app) -> None:
    from sync.webshop.api import api
    from sync.webshop.cli import clients_cli
    from sync.webhooks.api import api as webhooks_api

    app.cli.add_command(clients_cli)
    if app.config["POS_ROLE"] in ("hq", "standalone"):  # a store node sells only through its tills
        app.register_api(api)
        app.register_api(webhooks_api)
        from sync.webshop.coupons import api as coupons_api
        app.register_api(coupons_api)
