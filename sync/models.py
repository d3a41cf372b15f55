"""sync's own tables (API clients, idempotency, webhooks, marketplace channels), imported together.

They share the database with the store's tables, but the store's code never imports them: only the app
factory, Alembic and the tests gather both registries (``pos.models`` and this one)."""
from sync.webshop.models import ApiClient, IdempotentRequest  # noqa: F401
from sync.webhooks.models import FeedCursor, WebhookDelivery, WebhookSubscription  # noqa: F401
from sync.channels.models import ChannelIncident, ChannelListing, ChannelState, MarketplaceOrder  # noqa: F401
from sync.quarantine.models import CrossStoreReturn, QuarantinedChange, RefusedAtHq  # noqa: F401
from sync.promises.models import PromiseConflict  # noqa: F401
from sync.journeys.models import (Journey, JourneyConsent, JourneyCoupon, JourneyErasure, JourneyOutbox,  # noqa: F401
                                  JourneyRun, JourneySeenEvent, JourneySurveyAnswer, JourneyTask)
