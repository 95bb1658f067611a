"""Who acts: one pure value shared by identity, registration's routing and the domains (issue
#13 point 1).

`shared.platform.identity` makes one from a verified token and the directory version in force;
registration routes a plan by its unit and position and records the proposer from it; the
published contracts carry it as `ActorRef` (with roles) or `registration.Official` (without),
wire shapes of their own that do not change with this one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    """Cán bộ (or the services themselves) as their token describes them at this moment: who,
    their name, unit and position, and the roles the directory gives them."""

    user_id: str
    name: str
    unit_id: str
    position: str
    roles: frozenset[str] = frozenset()

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def as_dict(self) -> dict[str, Any]:
        """Everything, roles included (sorted)."""
        return {**self.person(), "roles": sorted(self.roles)}

    def person(self) -> dict[str, str]:
        """Who they are, without the roles: how a record names its proposer."""
        return {
            "user_id": self.user_id,
            "name": self.name,
            "unit_id": self.unit_id,
            "position": self.position,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Actor:
        return cls(
            user_id=str(data["user_id"]),
            name=str(data["name"]),
            unit_id=str(data["unit_id"]),
            position=str(data["position"]),
            roles=frozenset(data.get("roles", ())),
        )


SYSTEM = Actor(user_id="system", name="D73", unit_id="", position="", roles=frozenset({"system"}))
"""The services themselves, acting on an upstream event or a scheduler tick.

No token can carry the `system` role: the verifier accepts only the roles of `Role`."""
