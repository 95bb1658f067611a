"""Subjects and JetStream streams: the one place that names them (design.md §2).

Subjects follow `d73.<service>.<aggregate>.<event>`. Each stream belongs to one service, which
declares it and keeps its configuration; the others only create it when it is missing (so a
consumer may start before the producer) and never overwrite it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig

YEAR_SECONDS = 365 * 24 * 3600


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    owner: str
    description: str
    max_age_seconds: float = 10 * YEAR_SECONDS
    duplicate_window_seconds: float = 2 * 3600
    replicas: int = 1
    extra: dict[str, object] = field(default_factory=dict)

    def config(self, replicas: int | None = None) -> StreamConfig:
        return StreamConfig(
            name=self.name,
            description=self.description,
            subjects=list(self.subjects),
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            discard=DiscardPolicy.OLD,
            max_age=self.max_age_seconds,
            duplicate_window=self.duplicate_window_seconds,
            num_replicas=replicas or self.replicas,
        )


REGISTRATION_STREAM = StreamSpec(
    "D73_REGISTRATION",
    ("d73.registration.>",),
    owner="registration",
    description="Proposal events published by registration",
)
APPROVAL_STREAM = StreamSpec(
    "D73_APPROVAL",
    ("d73.approval.>",),
    owner="approval",
    description="Case events published by approval",
)
PUBLIC_REGISTRATION_STREAM = StreamSpec(
    "D73_PUBLIC_REGISTRATION",
    ("d73.public.registration.>",),
    owner="registration",
    description="The public view of registration's proposal events (shared.contracts.public)",
)
PUBLIC_APPROVAL_STREAM = StreamSpec(
    "D73_PUBLIC_APPROVAL",
    ("d73.public.approval.>",),
    owner="approval",
    description="The public view of approval's case events (shared.contracts.public)",
)
AUDIT_STREAM = StreamSpec(
    "D73_AUDIT",
    ("d73.audit.>",),
    owner="reporting",
    description="Signed audit checkpoints and alarms",
)
REPORTING_STREAM = StreamSpec(
    "D73_REPORTING",
    ("d73.reporting.>",),
    owner="reporting",
    description="Reporting's witness: cosignatures of the checkpoints it verified, and alarms",
)
DEADLETTER_STREAM = StreamSpec(
    "D73_DEADLETTER",
    ("d73.deadletter.>",),
    owner="reporting",
    description="Messages a consumer could not process, with the reason",
)


def _journal(service: str) -> StreamSpec:
    return StreamSpec(
        f"D73_{service.upper()}_JOURNAL",
        (f"d73.journal.{service}",),
        owner=service,
        description=(
            f"Every stored event of {service} as stored, private ones included: what its store "
            "recovers from after a restore (shared/records/journal.py); never public"
        ),
    )


JOURNAL_OF_SERVICE = {
    service: _journal(service) for service in ("registration", "approval", "reporting")
}
"""Every service that keeps a verifiable log journals its store: reporting's archive too, so
that a reporting store restored or lost is taken back as it was signed (issue #12 §2, §6)."""
STREAMS: tuple[StreamSpec, ...] = (
    REGISTRATION_STREAM,
    APPROVAL_STREAM,
    PUBLIC_REGISTRATION_STREAM,
    PUBLIC_APPROVAL_STREAM,
    AUDIT_STREAM,
    REPORTING_STREAM,
    DEADLETTER_STREAM,
    *JOURNAL_OF_SERVICE.values(),
)
STREAM_OF_SERVICE = {"registration": REGISTRATION_STREAM, "approval": APPROVAL_STREAM}
PUBLIC_STREAM_OF_SERVICE = {
    "registration": PUBLIC_REGISTRATION_STREAM,
    "approval": PUBLIC_APPROVAL_STREAM,
}
"""Where a service's relay publishes the public view of its events, for ordinary agencies."""


def consumer_name(service: str, stream: StreamSpec, component: str = "") -> str:
    """The durable consumer `service` keeps on `stream` (or one of its `COMPONENTS` keeps): the
    only consumers it may create there (the NATS permissions of services/cli/natsconfig.py name them)."""  # noqa: E501 — rendered text
    owner = f"{service}-{component}" if component else service
    return f"{owner}-{stream.name.lower()}"


COMPONENTS: dict[str, tuple[tuple[str, StreamSpec], ...]] = {
    "reporting": (("notify", APPROVAL_STREAM),),
}
"""Components hosted in a service's process that read a stream with their own durable consumer,
into their own store: reporting hosts the notifications (issue #16)."""


def deadletter_subject(service: str) -> str:
    return f"d73.deadletter.{service}"


def event_subject(service: str, aggregate: str, event: str) -> str:
    return f"d73.{service}.{aggregate}.{event}"


AGENCIES_STREAM = "D73_PUBLIC"
"""The stream in the AGENCIES account that sources the public streams (history for replay)."""
INSPECTION_STREAM = "D73_INSPECTION"
"""The stream in the AGENCIES account that sources the inspection tier; only agencies with an
inspection mandate may read it."""


def inbox_prefix(user: str) -> str:
    """A user's private inbox prefix (nats-py `inbox_prefix`): replies to its requests and its
    pull fetches arrive there, and nobody else may subscribe to it (issue #11.3)."""
    return f"_INBOX_{user}"
