"""The journeys area's own tables.  Other areas are read only through the customer's timeline and
public services; nothing here is written by another area."""
import datetime as dt
import uuid

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pos.db import Base, utcnow
from pos.ids import new_id
from pos.types import Id, Json, Money, Currency, Timestamp


class Journey(Base):
    """One version of a journey definition; editing makes a new version, runs keep the one they started on."""

    __tablename__ = "journey"
    __table_args__ = (UniqueConstraint("key", "version"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    key: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    definition: Mapped[dict] = mapped_column(Json)
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64), default="")


class JourneySeenEvent(Base):
    """A timeline event the engine has taken in: each is handled once, whatever order commits land in."""

    __tablename__ = "journey_seen_event"
    event_id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True)
    seen_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class JourneyRun(Base):
    """One customer in one journey: where they are and when the next step is due."""

    __tablename__ = "journey_run"
    __table_args__ = (UniqueConstraint("journey_key", "trigger_event_id"),)
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    journey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journey.id"), index=True)
    journey_key: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, index=True)
    trigger_event_id: Mapped[uuid.UUID] = mapped_column(Id)
    trigger_at: Mapped[dt.datetime] = mapped_column(Timestamp)
    reference: Mapped[str] = mapped_column(String(100), default="")
    status: Mapped[str] = mapped_column(String(16), index=True, default="active")  # active | completed | exited
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    context: Mapped[dict] = mapped_column(Json, default=dict)
    exit_reason: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    ended_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class JourneyOutbox(Base):
    """A step's effect to carry out (e-mail, SMS, task, webhook), once per idempotency key.

    pending → sending (claimed, with a lease) → sent | skipped (consent, cap, exit) | failed (gave up)."""

    __tablename__ = "journey_outbox"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journey_run.id"), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # email | sms | task | webhook
    purpose: Mapped[str] = mapped_column(String(16), default="transactional")  # marketing | transactional
    status: Mapped[str] = mapped_column(String(16), index=True, default="pending")
    due_at: Mapped[dt.datetime] = mapped_column(Timestamp, index=True)
    lease_until: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict] = mapped_column(Json, default=dict)
    outcome: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class JourneyConsent(Base):
    """Marketing consent per channel as a ledger: when and how each grant or withdrawal was given."""

    __tablename__ = "journey_consent"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, index=True)
    channel: Mapped[str] = mapped_column(String(8))  # email | sms
    granted: Mapped[bool] = mapped_column(Boolean)
    at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    how: Mapped[str] = mapped_column(String(100))  # "webshop checkout checkbox", "unsubscribe link", "till"…


class JourneyCoupon(Base):
    """An apology coupon: the journey's record of the gift card (pos.giftcards) it issued."""

    __tablename__ = "journey_coupon"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, index=True)
    amount: Mapped[int] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(Currency)
    valid_until: Mapped[dt.datetime] = mapped_column(Timestamp)
    issued_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class JourneyTask(Base):
    """Work for a person (the call centre): the customer's context and, once done, an outcome code."""

    __tablename__ = "journey_task"
    id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    queue: Mapped[str] = mapped_column(String(32), index=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, index=True)
    title: Mapped[str] = mapped_column(String(200))
    context: Mapped[dict] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | done
    outcome: Mapped[str] = mapped_column(String(32), default="")
    created_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(Timestamp, nullable=True)


class JourneySurveyAnswer(Base):
    """One answer per survey link (the run that sent it)."""

    __tablename__ = "journey_survey_answer"
    run_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("journey_run.id"), primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, index=True)
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)


class JourneyErasure(Base):
    """An erased customer whose journeys data has been scrubbed (so each erasure is handled once)."""

    __tablename__ = "journey_erasure"
    customer_id: Mapped[uuid.UUID] = mapped_column(Id, primary_key=True)
    scrubbed_at: Mapped[dt.datetime] = mapped_column(Timestamp, default=utcnow)
