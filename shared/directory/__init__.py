"""Organisation directory: units, heads, positions and who manages whom, per jurisdiction."""

from shared.directory.loader import (
    DEFAULT_JURISDICTION,
    DirectoryError,
    available_versions,
    load_directory,
    parse_directory,
)
from shared.directory.model import (
    CityRoute,
    DirectoryLookupError,
    ManagementRule,
    ManagerLevel,
    Member,
    NoManagementRule,
    OrganisationDirectory,
    Position,
    Unit,
    UnitKind,
    UnknownPosition,
    UnknownUnit,
)

__all__ = [
    "DEFAULT_JURISDICTION",
    "CityRoute",
    "DirectoryError",
    "DirectoryLookupError",
    "ManagementRule",
    "ManagerLevel",
    "Member",
    "NoManagementRule",
    "OrganisationDirectory",
    "Position",
    "Unit",
    "UnitKind",
    "UnknownPosition",
    "UnknownUnit",
    "available_versions",
    "load_directory",
    "parse_directory",
]
