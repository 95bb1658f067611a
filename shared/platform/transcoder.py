"""The stored JSON of an event's state: eventsourcing's `JSONTranscoder` bytes, by orjson.

The standard encoder was ~10 % of a consumer's CPU (issue #19 point 4). The bytes must stay
exactly those eventsourcing writes: a service's Merkle log commits to what each stored state
decodes to (`shared.records.servicelog.entries`), which another spelling would keep only if every
reader decoded it alike, and stores already hold the standard encoder's spelling.

orjson writes strings, integers, booleans, null, lists and objects byte for byte as the standard
encoder does with eventsourcing's settings (compact separators, no ASCII escaping); but it writes
UUIDs, datetimes, dates, dataclasses and enums itself and floats in another notation, where
eventsourcing asks a registered transcoding. So the state is first copied, only where needed,
with every value of a registered transcoding replaced by its `{"_type_": …, "_data_": …}` object,
as eventsourcing's encoder does; a state that holds anything else (a float, a subclass of a
JSON type, a key that is not a string, an integer beyond 64 bits, an unpaired surrogate) is
encoded by the standard encoder instead, which also raises the errors it always raised.

Reading, orjson parses and each transcoded object is read back by its transcoding, as
eventsourcing's object hook does; what orjson does not read as the standard parser does (a
float, which may be an integer beyond 64 bits to it; NaN; an unpaired surrogate) or a name no
transcoding has is read by the standard decoder, with its errors.
"""

from __future__ import annotations

from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoder, Transcoding

_AS_IS = frozenset({str, int, bool, type(None)})
"""Types orjson writes exactly as the standard encoder does (`bool` is an `int` subclass the
standard encoder checks first, as orjson does)."""
_JSON_TYPES = (str, int, float, list, tuple, dict)
"""What the standard encoder writes itself, subclasses included: never given to a transcoding."""


class _Standard(Exception):
    """The state holds something only the standard encoder writes as eventsourcing's bytes."""


class OrjsonTranscoder(JSONTranscoder):
    """eventsourcing's `JSONTranscoder`, its bytes written and read by orjson (see the module's
    docstring)."""

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._transcoded(obj))
        except (_Standard, TypeError, RecursionError):  # orjson.JSONEncodeError is a TypeError
            return super().encode(obj)

    def decode(self, data: bytes) -> Any:
        try:
            return self._revived(orjson.loads(data))
        except (_Standard, orjson.JSONDecodeError, RecursionError):
            return super().decode(data)

    def _revived(self, value: Any) -> Any:
        """Freshly parsed JSON with each transcoded object read back by its transcoding, in
        place and innermost first, as eventsourcing's object hook reads it. `_Standard` for a
        float: orjson reads an integer beyond 64 bits as one (the standard parser keeps it
        exact), and a state is not worth telling the two apart (D73 keeps amounts as decimals)."""
        kind = type(value)
        if kind is dict:
            for key, item in value.items():
                inner = type(item)
                if inner is dict or inner is list:
                    value[key] = self._revived(item)
                elif inner is float:
                    raise _Standard
            if len(value) == 2 and "_type_" in value and "_data_" in value:
                name = value["_type_"]
                # Not a registered name: the standard decoder raises as it always did.
                transcoding = self.names.get(name) if type(name) is str else None
                if transcoding is None:
                    raise _Standard
                return transcoding.decode(value["_data_"])
            return value
        if kind is list:
            for index, item in enumerate(value):
                inner = type(item)
                if inner is dict or inner is list:
                    value[index] = self._revived(item)
                elif inner is float:
                    raise _Standard
            return value
        if kind is float:
            raise _Standard
        return value

    def _transcoded(self, obj: Any) -> Any:
        """`obj` itself if nothing in it needs a transcoding, else a copy of the containers on
        the way to each value that does, that value replaced by its transcoded object."""
        kind = type(obj)
        if kind is dict:
            copied: Any = None
            for key, value in obj.items():
                if type(value) in _AS_IS:
                    continue
                transcoded = self._transcoded(value)
                if transcoded is not value:
                    if copied is None:
                        copied = obj.copy()
                    copied[key] = transcoded
            return obj if copied is None else copied
        if kind is list or kind is tuple:
            copied = None
            for index, value in enumerate(obj):
                if type(value) in _AS_IS:
                    continue
                transcoded = self._transcoded(value)
                if transcoded is not value:
                    if copied is None:
                        copied = list(obj)
                    copied[index] = transcoded
            return obj if copied is None else copied
        if kind in _AS_IS:
            return obj
        transcoding: Transcoding | None = self.types.get(kind)
        if transcoding is None or isinstance(obj, _JSON_TYPES):
            raise _Standard
        return {"_type_": transcoding.name, "_data_": self._transcoded(transcoding.encode(obj))}


class LeavingFieldsParsed(Transcoder):
    """Reads a stored event's state as `transcoder` does, but leaves the named top-level fields
    as orjson parsed them: their transcoded objects are not read back, and a float in them is
    not told from a large integer. For a reader that only counts or skips what such a field
    holds: the proposer's read model needs the number of a plan's files, never the plan, and
    reading back a whole plan was most of its fold (issue #19). Writes as `transcoder` does."""

    def __init__(self, transcoder: OrjsonTranscoder, parsed: frozenset[str]) -> None:
        self.transcoder = transcoder
        self.parsed = parsed

    def encode(self, obj: Any) -> bytes:
        return self.transcoder.encode(obj)

    def decode(self, data: bytes) -> Any:
        transcoder = self.transcoder
        try:
            state = orjson.loads(data)
            if type(state) is not dict or ("_type_" in state and "_data_" in state):
                raise _Standard  # not a state of named fields: read it whole
            left = {key: state[key] for key in self.parsed if key in state}
            state.update(dict.fromkeys(left))  # held out of `_revived`, in their places
            revived: dict[str, Any] = transcoder._revived(state)
            revived.update(left)
            return revived
        except (_Standard, orjson.JSONDecodeError, RecursionError):
            return transcoder.decode(data)
