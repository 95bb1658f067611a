"""Read models of approval, folded from its own notification log and rebuildable from it.

- `OpenDeadlines`: every running clock of every open case, with the day its reminder is due, so
  the scheduler loads only the cases that have something to note.
- `CaseParties`: who takes part in each open case and the state it is in, for the inbox.

Both mirror what the Case aggregate records; a unit test drives cases through every state and
checks `OpenDeadlines` against `Case.open_deadlines()`.

Both keep their open cases in approval's own side tables (`shared.platform.sidetables.
own_tables`: the file `approval-views.sqlite`, apart from the event store so their writes never
wait on its single writer, or approval's PostgreSQL database), with the log position they
reflect, written in one transaction a section of events at a time: as registration's proposal
summaries do. Held in memory they took ~2.6 kB an open case, ~11 MB of the service's peak RSS
with the 4,162 open cases of bench.portal_pages, and grew with every case opened (issue #19:
< 150 MB per service). A section loads only the cases its events touch; a query reads only
the rows it answers with (the clocks past a date, the cases of one person).
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.domain import DomainEventProtocol
from eventsourcing.utils import get_topic

from services.approval.case_rules import CaseRules
from services.approval.domain.authority import CompetentAuthority
from services.approval.domain.case import Case
from shared.contracts.vocabulary import TERMINAL_STATES, CaseState, DeadlineName
from shared.platform.eventstore import ServiceApplication
from shared.platform.readmodel import SideTableReadModel
from shared.platform.sidetables import SideTables, Statements

Fold = Callable[[str, Any], None]


def _event_class(name: str) -> type:
    cls: type = getattr(Case, name)
    return cls


@dataclass(frozen=True)
class DueClock:
    """One running clock of one case, as the scheduler and the inbox see it."""

    case_id: UUID
    name: DeadlineName
    due: date
    warn_on: date
    responsible_user_id: str | None
    responsible_unit_id: str | None
    approaching_noted: bool
    breached: bool

    def is_overdue(self, today: date) -> bool:
        return today > self.due

    def needs_notice(self, today: date) -> bool:
        """A breach not yet recorded, or a reminder due and not yet noted."""
        if self.breached:
            return False
        return self.is_overdue(today) or (not self.approaching_noted and today >= self.warn_on)


Row = dict[str, Any]
Progress = Callable[[int, int], None]

_CASE_TOPIC = get_topic(Case) + "."
IN_LIST = 500
"""Case ids asked for in one statement at most."""


class TouchedCases:
    """The open cases one section of events touches: each loaded from the tables when first
    touched, then changed here, written back (or deleted: None) when the section commits."""

    def __init__(self, load: Callable[[str], Row | None]) -> None:
        self._load = load
        self.rows: dict[str, Row | None] = {}
        self.stored: set[str] = set()
        """The cases that have rows in the tables (the others need none deleted)."""

    def get(self, case_id: str) -> Row | None:
        if case_id not in self.rows:
            row = self.rows[case_id] = self._load(case_id)
            if row is not None:
                self.stored.add(case_id)
        return self.rows[case_id]

    def __getitem__(self, case_id: str) -> Row:
        row = self.get(case_id)
        if row is None:
            raise KeyError(case_id)
        return row

    def __setitem__(self, case_id: str, row: Row) -> None:
        self.rows[case_id] = row

    def close(self, case_id: str) -> None:
        if case_id not in self.rows:
            self.stored.add(case_id)  # not read: its rows, if any, go
        self.rows[case_id] = None


class OpenCaseModel(SideTableReadModel):
    """A read model of open cases kept in approval's side tables (see the module).

    A section is read and written in one transaction that holds the model's position row:
    another process (a second replica, `d73 rebuild`) folding the same tables waits, and this
    one then goes on from where that one stopped. The tables are approval's own
    (`approval-views.sqlite`), so holding their writer keeps no command waiting."""

    positions = "approval_read_models"
    tables_of_rows: ClassVar[tuple[str, ...]]
    """Its tables, each keyed by `case_id` (the first has one row per open case)."""

    @abstractmethod
    def _load(self, tx: Statements, case_id: str) -> Row | None:
        """The case as its rows hold it (None: not open)."""

    @abstractmethod
    def _write(self, tx: Statements, case_id: str, row: Row) -> None:
        """Replace the case's rows with `row`."""

    def _forget(self) -> None:
        self.cases = TouchedCases(self._read)

    def _fold_section(self) -> int:
        if self._store_end() <= self.position:
            return 0
        with self.tables.transaction(write=True) as tx:
            self.position = self._position_for_update(tx)
            notifications = self._events_after(self.position)
            if not notifications:
                return 0
            self.cases = TouchedCases(lambda case_id: self._load(tx, case_id))
            for notification in notifications:
                if notification.topic.startswith(_CASE_TOPIC):
                    self.apply(self.app.mapper.to_domain_event(notification), notification.id)
            for table in self.tables_of_rows:
                tx.executemany(
                    f"DELETE FROM {table} WHERE case_id = ?",
                    [(case_id,) for case_id in self.cases.stored],
                )
            for case_id, row in self.cases.rows.items():
                if row is not None:
                    self._write(tx, case_id, row)
            position = notifications[-1].id
            self._set_position(tx, position)
        self.position = position
        self._forget()
        return len(notifications)

    def _read(self, case_id: str) -> Row | None:
        with self.tables.transaction(write=False) as tx:
            return self._load(tx, case_id)

    def _rows_after(self, key: str, limit: int) -> list[tuple[str, Row | None]]:
        page = self.tables.query(
            f"SELECT case_id FROM {self.tables_of_rows[0]} WHERE case_id > ?"
            " ORDER BY case_id LIMIT ?",
            (key, limit),
        )
        return [(case_id, self._read(case_id)) for (case_id,) in page]


CLOCK_COLUMNS = (
    "case_id, name, due, warn_on, responsible_user_id, responsible_unit_id, approaching_noted, "
    "breached"
)
CASE_CONTEXT = ("rule_set_version", "head_id", "recipient_unit_id", "intake_unit_id")
"""What `OpenDeadlines` keeps of an open case besides its clocks."""


def _due_clock(row: Sequence[Any]) -> DueClock:
    return DueClock(
        case_id=UUID(row[0]),
        name=DeadlineName(row[1]),
        due=date.fromisoformat(row[2]),
        warn_on=date.fromisoformat(row[3]),
        responsible_user_id=row[4],
        responsible_unit_id=row[5],
        approaching_noted=bool(row[6]),
        breached=bool(row[7]),
    )


def _marks(ids: Sequence[str]) -> str:
    return ", ".join("?" for _ in ids)


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    listed = list(ids)
    for start in range(0, len(listed), IN_LIST):
        yield listed[start : start + IN_LIST]


class OpenDeadlines(OpenCaseModel):
    """Thời hạn đang chạy — the running clocks of open cases, by case."""

    name = "open_deadlines"
    ddl = (
        """CREATE TABLE IF NOT EXISTS approval_open_cases (
            case_id TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS approval_open_clocks (
            case_id TEXT NOT NULL,
            name TEXT NOT NULL,
            due TEXT NOT NULL,
            warn_on TEXT NOT NULL,
            responsible_user_id TEXT,
            responsible_unit_id TEXT,
            approaching_noted INTEGER NOT NULL,
            breached INTEGER NOT NULL,
            PRIMARY KEY (case_id, name)
        )""",
        "CREATE INDEX IF NOT EXISTS approval_open_clocks_by_due ON approval_open_clocks (due)",
    )
    tables_of_rows = ("approval_open_cases", "approval_open_clocks")

    def __init__(
        self,
        app: ServiceApplication,
        tables: SideTables,
        rules_of: Callable[[str], CaseRules],
    ) -> None:
        self.rules_of = rules_of
        self._folds: dict[type, Fold] = {
            _event_class("Opened"): self._opened,
            _event_class("SupplementRequested"): self._supplement_requested,
            _event_class("SupplementProvided"): self._supplement_provided,
            _event_class("PlanReceived"): self._plan_received,
            _event_class("ConsultationRequested"): self._consultation_requested,
            _event_class("ConsultationClosed"): self._consultation_closed,
            _event_class("ApprovalMeetingHeld"): self._approval_meeting_held,
            _event_class("ApprovedByOverride"): self._approved_by_override,
            _event_class("CompletionReported"): self._completion_reported,
            _event_class("EvaluationMeetingHeld"): self._evaluation_meeting_held,
            _event_class("EvaluationConcluded"): self._evaluation_concluded,
            _event_class("DeadlineApproaching"): self._approaching,
            _event_class("DeadlineBreached"): self._breached,
        }
        super().__init__(app, tables)

    def _load(self, tx: Statements, case_id: str) -> Row | None:
        found = tx.query("SELECT body FROM approval_open_cases WHERE case_id = ?", (case_id,))
        if not found:
            return None
        clocks = tx.query(
            f"SELECT {CLOCK_COLUMNS} FROM approval_open_clocks WHERE case_id = ?", (case_id,)
        )
        case: Row = orjson.loads(found[0][0])
        case["clocks"] = {
            clock.name.value: {
                "due": clock.due,
                "warn_on": clock.warn_on,
                "responsible_user_id": clock.responsible_user_id,
                "responsible_unit_id": clock.responsible_unit_id,
                "approaching_noted": clock.approaching_noted,
                "breached": clock.breached,
            }
            for clock in map(_due_clock, clocks)
        }
        return case

    def _write(self, tx: Statements, case_id: str, row: Row) -> None:
        tx.execute(
            "INSERT INTO approval_open_cases (case_id, body) VALUES (?, ?)",
            (case_id, orjson.dumps({key: row[key] for key in CASE_CONTEXT}).decode()),
        )
        tx.executemany(
            f"INSERT INTO approval_open_clocks ({CLOCK_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    case_id,
                    name,
                    clock["due"].isoformat(),
                    clock["warn_on"].isoformat(),
                    clock["responsible_user_id"],
                    clock["responsible_unit_id"],
                    int(clock["approaching_noted"]),
                    int(clock["breached"]),
                )
                for name, clock in row["clocks"].items()
            ],
        )

    # folding

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        case_id = str(event.originator_id)
        stamp: dict[str, Any] | None = getattr(event, "stamp", None)
        fold = self._folds.get(type(event))
        if fold is not None:
            fold(case_id, event)
        if stamp is not None and CaseState(stamp["state"]) in TERMINAL_STATES:
            self.cases.close(case_id)

    def _opened(self, case_id: str, event: Any) -> None:
        self.cases[case_id] = {
            "rule_set_version": event.stamp["rule_set_version"],
            "head_id": event.authority["head_id"],
            "recipient_unit_id": event.routing["recipient_unit_id"],
            "intake_unit_id": event.routing["intake_unit_id"],
            "clocks": {},
        }
        self._open(case_id, DeadlineName.INTAKE, event.intake_due, None, "intake_unit_id")

    def _supplement_requested(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.INTAKE)
        self._open_for(
            case_id,
            DeadlineName.SUPPLEMENT,
            event.due,
            event.responsible_user_id,
            event.responsible_unit_id,
        )

    def _supplement_provided(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.SUPPLEMENT)
        self._open(case_id, DeadlineName.INTAKE, event.intake_due, None, "intake_unit_id")

    def _plan_received(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.INTAKE)
        self._open_for(
            case_id,
            DeadlineName.APPROVAL,
            event.approval_due,
            event.head_id,
            event.recipient_unit_id,
        )

    def _consultation_requested(self, case_id: str, event: Any) -> None:
        self._open(case_id, DeadlineName.CONSULTATION, event.due, "head", "recipient_unit_id")
        if getattr(event, "approval_paused", None) is not None:
            self._close(case_id, DeadlineName.APPROVAL)  # paused during the consultation

    def _consultation_closed(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.CONSULTATION)
        if getattr(event, "approval_due", None) is not None:
            self._open(
                case_id, DeadlineName.APPROVAL, event.approval_due, "head", "recipient_unit_id"
            )

    def _approval_meeting_held(self, case_id: str, event: Any) -> None:
        # Holding the meeting meets Art 8 §1 whatever its outcome (events before `held_in_time`
        # was recorded kept the clock open on a failed vote, as the case did).
        if event.vote["outcome"] == "PASSED" or getattr(event, "held_in_time", None) is not None:
            self._close(case_id, DeadlineName.APPROVAL)

    def _approved_by_override(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.APPROVAL)

    def _completion_reported(self, case_id: str, event: Any) -> None:
        self._open(
            case_id, DeadlineName.EVALUATION, event.evaluation_due, "head", "recipient_unit_id"
        )

    def _evaluation_meeting_held(self, case_id: str, event: Any) -> None:
        # As for approval: holding the meeting meets Art 9 §2 whatever the vote (older events
        # without `held_in_time` kept the clock open on a failed vote, as the case did).
        if getattr(event, "held_in_time", None) is not None:
            self._close(case_id, DeadlineName.EVALUATION)
        if event.vote["outcome"] == "PASSED":
            self._close(case_id, DeadlineName.EVALUATION)
            self._open(
                case_id, DeadlineName.CONCLUSION, event.conclusion_due, "head", "recipient_unit_id"
            )

    def _evaluation_concluded(self, case_id: str, event: Any) -> None:
        self._close(case_id, DeadlineName.CONCLUSION)

    def _approaching(self, case_id: str, event: Any) -> None:
        clock = self.cases[case_id]["clocks"].get(event.deadline)
        if clock is not None:
            clock["approaching_noted"] = True

    def _breached(self, case_id: str, event: Any) -> None:
        clock = self.cases[case_id]["clocks"].get(event.deadline)
        if clock is not None:
            clock["breached"] = True

    def _open(
        self, case_id: str, name: DeadlineName, due: date, user: str | None, unit_key: str
    ) -> None:
        case = self.cases[case_id]
        user_id = case["head_id"] if user == "head" else None
        self._open_for(case_id, name, due, user_id, case[unit_key])

    def _open_for(
        self, case_id: str, name: DeadlineName, due: date, user_id: str | None, unit_id: str | None
    ) -> None:
        case = self.cases[case_id]
        case["clocks"][name.value] = {
            "due": due,
            "warn_on": self.rules_of(case["rule_set_version"]).warning_date(due),
            "responsible_user_id": user_id,
            "responsible_unit_id": unit_id,
            "approaching_noted": False,
            "breached": False,
        }

    def _close(self, case_id: str, name: DeadlineName) -> None:
        self.cases[case_id]["clocks"].pop(name.value, None)

    # queries

    def of_case(self, case_id: UUID) -> list[DueClock]:
        """The running clocks of one case, earliest due first."""
        return self.of_cases([case_id])[case_id]

    def of_cases(self, case_ids: Iterable[UUID]) -> dict[UUID, list[DueClock]]:
        """The running clocks of each case, earliest due first (none for a closed case)."""
        self.catch_up()
        found: dict[UUID, list[DueClock]] = {case_id: [] for case_id in case_ids}
        for chunk in _chunks(str(case_id) for case_id in found):
            for row in self.tables.query(
                f"SELECT {CLOCK_COLUMNS} FROM approval_open_clocks "
                f"WHERE case_id IN ({_marks(chunk)})",
                chunk,
            ):
                clock = _due_clock(row)
                found[clock.case_id].append(clock)
        for clocks in found.values():
            clocks.sort(key=lambda c: (c.due, c.name.value))
        return found

    def needing_notice(self, today: date) -> list[UUID]:
        """Cases with a reminder or a breach to record on `today`, most urgent first."""
        urgent: dict[UUID, date] = {}
        for clock in self._clocks_where(
            "breached = 0 AND (due < ? OR (approaching_noted = 0 AND warn_on <= ?))",
            (today.isoformat(), today.isoformat()),
        ):
            if clock.needs_notice(today):
                urgent[clock.case_id] = min(urgent.get(clock.case_id, clock.due), clock.due)
        return sorted(urgent, key=lambda c: (urgent[c], str(c)))

    def overdue(self, today: date) -> dict[UUID, DueClock]:
        """Each case with a clock past its due date, with its most overdue clock."""
        late: dict[UUID, DueClock] = {}
        for clock in self._clocks_where("due < ?", (today.isoformat(),)):
            if clock.is_overdue(today):
                known = late.get(clock.case_id)
                if known is None or clock.due < known.due:
                    late[clock.case_id] = clock
        return late

    def _clocks_where(self, condition: str, params: Sequence[Any]) -> list[DueClock]:
        """The running clocks that meet `condition` (on ISO dates), in a stable order."""
        self.catch_up()
        rows = self.tables.query(
            f"SELECT {CLOCK_COLUMNS} FROM approval_open_clocks WHERE {condition} "
            "ORDER BY case_id, name",
            params,
        )
        return [_due_clock(row) for row in rows]


class CaseParties(OpenCaseModel):
    """Who takes part in each open case, in which capacity, and the state it is in.

    A case is indexed under its `CompetentAuthority.parties`, the same people who may read it
    and report on it: the model keeps each open case's authority, as the case does."""

    name = "case_parties"
    ddl = (
        """CREATE TABLE IF NOT EXISTS approval_party_cases (
            case_id TEXT PRIMARY KEY,
            body TEXT NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS approval_case_persons (
            person_id TEXT NOT NULL,
            case_id TEXT NOT NULL,
            PRIMARY KEY (person_id, case_id)
        )""",
        "CREATE INDEX IF NOT EXISTS approval_case_persons_by_case "
        "ON approval_case_persons (case_id)",
    )
    tables_of_rows = ("approval_party_cases", "approval_case_persons")

    def __init__(self, app: ServiceApplication, tables: SideTables) -> None:
        self._opened = _event_class("Opened")
        self._approved = (_event_class("ApprovalMeetingHeld"), _event_class("ApprovedByOverride"))
        super().__init__(app, tables)

    def apply(self, event: DomainEventProtocol[UUID], position: int) -> None:
        case_id = str(event.originator_id)
        stamp: dict[str, Any] | None = getattr(event, "stamp", None)
        data: Any = event
        if isinstance(event, self._opened):
            self.cases[case_id] = {
                "case": {
                    "proposal_id": str(data.proposal_id),
                    "title": data.title,
                    "opened_at_position": position,
                    "proposer_id": data.proposer["user_id"],
                    "head_id": data.authority["head_id"],
                    "deputy_ids": list(data.authority["deputy_ids"]),
                    "delegate_ids": list(data.authority["delegate_ids"]),
                    "implementer_ids": [],
                    "state": data.stamp["state"],
                },
                "units": {
                    "recipient_unit_id": data.routing["recipient_unit_id"],
                    "intake_unit_id": data.routing["intake_unit_id"],
                },
            }
        kept = self.cases.get(case_id)
        if kept is None or stamp is None:
            return
        case = kept["case"]
        if isinstance(event, self._approved) and data.stamp["state"] == CaseState.APPROVED.value:
            case["implementer_ids"] = list(data.implementer_ids)
        case["state"] = stamp["state"]
        if CaseState(stamp["state"]) in TERMINAL_STATES:
            self.cases.close(case_id)

    def _load(self, tx: Statements, case_id: str) -> Row | None:
        found = tx.query("SELECT body FROM approval_party_cases WHERE case_id = ?", (case_id,))
        return orjson.loads(found[0][0]) if found else None

    def _write(self, tx: Statements, case_id: str, row: Row) -> None:
        tx.execute(
            "INSERT INTO approval_party_cases (case_id, body) VALUES (?, ?)",
            (case_id, orjson.dumps(row).decode()),
        )
        tx.executemany(
            "INSERT INTO approval_case_persons (person_id, case_id) VALUES (?, ?)",
            [(person, case_id) for person in sorted(_authority(row).parties)],
        )

    def cases_of(self, person_id: str) -> dict[UUID, dict[str, Any]]:
        """The open cases `person_id` takes part in, in any capacity."""
        self.catch_up()
        rows = self.tables.query(
            "SELECT c.case_id, c.body FROM approval_case_persons p "
            "JOIN approval_party_cases c ON c.case_id = p.case_id WHERE p.person_id = ?",
            (person_id,),
        )
        return {UUID(case_id): orjson.loads(body)["case"] for case_id, body in rows}

    def cases_by_id(self, case_ids: Iterable[UUID]) -> dict[UUID, dict[str, Any]]:
        """The open cases among `case_ids`."""
        self.catch_up()
        found: dict[UUID, dict[str, Any]] = {}
        for chunk in _chunks(str(case_id) for case_id in case_ids):
            for case_id, body in self.tables.query(
                "SELECT case_id, body FROM approval_party_cases "
                f"WHERE case_id IN ({_marks(chunk)})",
                chunk,
            ):
                found[UUID(case_id)] = orjson.loads(body)["case"]
        return found


def _authority(row: Row) -> CompetentAuthority:
    """The competent authority of a case as `CaseParties` keeps it."""
    case, units = row["case"], row["units"]
    return CompetentAuthority(
        head_id=case["head_id"],
        deputy_ids=tuple(case["deputy_ids"]),
        delegate_ids=tuple(case["delegate_ids"]),
        recipient_unit_id=units["recipient_unit_id"],
        intake_unit_id=units["intake_unit_id"],
        proposer_id=case["proposer_id"],
        implementer_ids=tuple(case["implementer_ids"]),
    )
