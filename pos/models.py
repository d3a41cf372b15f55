"""Every area's models, imported together so metadata (and Alembic) sees the whole schema."""
from pos.db import Base  # noqa: F401
from pos.stores.models import (AppliedChange, Location, StoreContact, StoreEpoch, StoreToken, SyncCursor,  # noqa: F401
                               Terminal)
from pos.staff.models import AuditEntry, AuthToken, Cashier  # noqa: F401
from pos.catalogue.models import Barcode, Product  # noqa: F401
from pos.customers.models import Customer, CustomerEvent, CustomerMerge  # noqa: F401
from pos.shifts.models import CashMovement, DayReport, Shift  # noqa: F401
from pos.sales.models import Basket, BasketLine, Payment, Sale, SaleLine, SaleVat  # noqa: F401
from pos.returns.models import Refund, Return, ReturnLine  # noqa: F401
from pos.stock.models import (AvailabilityChange, ChannelAvailability, ChannelLocation, Reservation,  # noqa: F401
                              ReservationEvent, ReservationLine, SalesChannel, StockDocument, StockLevel,
                              StockMovement, StockLevelMark, AvailabilityState)
from pos.feed.models import Change  # noqa: F401
from pos.dispatch.models import Assignment, Courier, CourierDayOff, Delivery, DeliveryStatusEvent  # noqa: F401
from pos.devices.models import FiscalRecord, PrintJob  # noqa: F401
from pos.loyalty.models import LoyaltyAccount, LoyaltyEntry, LoyaltyProgramme  # noqa: F401
from pos.giftcards.models import GiftCard, GiftCardAllowance, GiftCardEntry, GiftCardIncident, GiftCardLease  # noqa: F401
from pos.coupons.models import (BasketCoupon, CouponBatch, CouponCampaign, CouponCode, CouponIncident,  # noqa: F401
                                CouponRedemption)
