"""The wiring every service's `main.py` shares, written once (issue #13 point 4).

Registration, approval and reporting build their store, tracked consumers and runtime from the
settings the same way; only what they own differs (the application, the streams they follow,
what they publish, their jobs and routers). `ServiceWiring` holds what is the same, so that a
service's `main.py` names only its own parts and a change to the skeleton is made in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from fastapi import APIRouter, FastAPI

from shared.contracts import IntegrationEvent
from shared.contracts.witness import WitnessMessage
from shared.kernel.directory import OrganisationDirectory, load_directory
from shared.platform.consumer import Handler, TrackedConsumer
from shared.platform.eventstore import ServiceApplication, ensure_postgres_database, store_env
from shared.platform.logs import configure_logging
from shared.platform.outbox import Translate
from shared.platform.ports import Records
from shared.platform.runtime import ServiceRuntime
from shared.platform.settings import Persistence, Settings
from shared.platform.subjects import StreamSpec
from shared.platform.web import create_service_app

Job = Callable[[], Coroutine[Any, Any, None]]


class Delivery(TypedDict):
    """How often and how patiently a tracked consumer takes a message (`D73_CONSUMER_*`)."""

    max_deliver: int
    ack_wait: float


@dataclass(frozen=True)
class ServiceWiring:
    """One service's name, version and settings, and the parts built from them alike."""

    service: str
    version: str
    settings: Settings
    clock: Callable[[], datetime] | None = None
    """The service's clock (tests give a fixed one); None: the wall clock."""

    @classmethod
    def start(
        cls,
        service: str,
        version: str,
        settings: Settings | None,
        clock: Callable[[], datetime] | None = None,
    ) -> ServiceWiring:
        """The configured settings (from the environment unless given), logging set up."""
        settings = settings or Settings()
        configure_logging(service, settings.log_level, settings.log_json)
        return cls(service, version, settings, clock)

    def store_env(self) -> dict[str, str]:
        """The service's event store, its PostgreSQL database created first when configured."""
        return service_store_env(self.service, self.settings)

    def directory(self) -> OrganisationDirectory:
        return load_directory(self.settings.jurisdiction, extra_dir=self.settings.directory_dir)

    @property
    def delivery(self) -> Delivery:
        return Delivery(
            max_deliver=self.settings.consumer_max_deliver,
            ack_wait=self.settings.consumer_ack_wait_seconds,
        )

    def tracked_consumer(
        self, app: ServiceApplication, upstream: StreamSpec, handlers: dict[str, Handler]
    ) -> TrackedConsumer:
        """A durable consumer of `upstream` into `app`, by the event types of `handlers`."""
        return TrackedConsumer(
            service=self.service, app=app, upstream=upstream, handlers=handlers, **self.delivery
        )

    def runtime(
        self,
        app: ServiceApplication,
        *,
        translate: Translate | None,
        published: tuple[type[IntegrationEvent] | type[WitnessMessage], ...],
        consumers: list[TrackedConsumer],
        background: Sequence[Job],
        records: Records,
        stream: StreamSpec | None = None,
        audited: bool = False,
    ) -> ServiceRuntime:
        """Broker, streams, relay, consumers and jobs (`ServiceRuntime`: `stream` and `audited`
        are for reporting, which publishes outside `STREAM_OF_SERVICE`)."""
        return ServiceRuntime(
            service=self.service,
            version=self.version,
            settings=self.settings,
            app=app,
            translate=translate,
            published=published,
            consumers=consumers,
            background=background,
            records=records,
            stream=stream,
            audited=audited,
        )

    def web(
        self,
        runtime: ServiceRuntime,
        *,
        directory: OrganisationDirectory,
        description: str | None,
        routers: Sequence[APIRouter | tuple[APIRouter, int]],
        domain_errors: Mapping[type[Exception], int],
        field_labels: Mapping[str, tuple[str, str]] | None = None,
    ) -> FastAPI:
        """The service's HTTP edge (`create_service_app`), described by its module's docstring;
        tokens name people of `directory`."""
        return create_service_app(
            runtime=runtime,
            version=self.version,
            description=description or "",
            routers=routers,
            domain_errors=domain_errors,
            field_labels=field_labels,
            directory=directory,
            clock=self.clock,
        )


def service_store_env(service: str, settings: Settings) -> dict[str, str]:
    """`store_env` of a service that owns its store: on PostgreSQL its database is created
    first (a fresh cluster has none)."""
    if settings.persistence is Persistence.POSTGRES:
        ensure_postgres_database(settings, service)
    return store_env(service, settings)
