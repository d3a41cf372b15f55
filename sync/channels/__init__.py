"""HQ's side of selling on the marketplaces: listings mapped to SKUs, available-to-sell pushed from the
availability feed, orders pulled into reservations and customer timelines, oversells raised as incidents,
and a periodic read-back that corrects drift.  The channel clients themselves live in ``marketplaces``."""
