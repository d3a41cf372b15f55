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
        from sync.webshop.loyalty_api import api as loyalty_api
        app.register_api(loyalty_api)  # balance and points spent on web orders
        from sync.webshop.gift_cards import api as gift_cards_api
        app.register_api(gift_cards_api)
        from sync.webshop.coupons import api as coupons_api
        app.register_api(coupons_api)
