"""A real SMTP server for the tests (aiosmtpd): it keeps every message it accepts.

`hold(recipient)` makes it wait before accepting the data of a message to that address, so that a
test can kill the sender after it recorded the message as pending and before the message went out
(nothing was accepted: the sender must send it after its restart). Messages to other addresses go
through: a notification to someone else still in flight cannot be mistaken for the held one."""

from __future__ import annotations

import asyncio
import email
import email.policy
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from services.cli.natsserver import free_port

# aiosmtpd logs each connection at INFO from its own thread, which can outlive pytest's capture of
# the test that started it ("Logging error ... I/O operation on closed file" in the CI log).
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        return str(body.get_content())


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    released: threading.Event = field(default_factory=threading.Event)
    arrived: threading.Event = field(default_factory=threading.Event)
    held_for: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.held_for is not None and self.held_for in envelope.rcpt_tos:
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.released.wait)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


class Mailbox:
    def __init__(self) -> None:
        self.handler = _Handler()
        self.handler.released.set()
        self.port = free_port()
        self.controller: Controller | None = None

    def start(self) -> None:
        """Listen (again, on the same port: a relay back after an outage)."""
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.recipients]

    def hold(self, recipient: str) -> None:
        """Accept no message to `recipient` until `release()`; `arrived` is set when one waits."""
        self.handler.arrived.clear()
        self.handler.released.clear()
        self.handler.held_for = recipient

    def release(self) -> None:
        self.handler.held_for = None
        self.handler.released.set()

    def wait_for_held(self, timeout: float = 20.0) -> bool:
        return self.handler.arrived.wait(timeout)


@contextmanager
def running_mailbox() -> Iterator[Mailbox]:
    mailbox = Mailbox()
    mailbox.start()
    try:
        yield mailbox
    finally:
        mailbox.release()
        mailbox.stop()
