"""`event_id_of` is `uuid5` in the URL namespace, by hand (issue #19): the same UUID, version
and variant for every service, originator and version, whichever thread asks."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from uuid import NAMESPACE_URL, UUID, uuid5

from hypothesis import given
from hypothesis import strategies as st

from shared.platform.outbox import event_id_of

SERVICES = st.sampled_from(["registration", "approval", "reporting", "dịch-vụ"])


@given(SERVICES, st.uuids(), st.integers(min_value=-(2**63), max_value=2**64))
def test_an_event_id_is_the_uuid5_of_its_name(service: str, originator: UUID, version: int) -> None:
    made = event_id_of(service, originator, version)
    expected = uuid5(NAMESPACE_URL, f"/d73/{service}/{originator}/{version}")
    assert made == expected
    assert str(made) == str(expected)
    assert (made.version, made.variant) == (5, expected.variant)


def test_threads_asking_at_once_get_the_same_ids() -> None:
    originators = [UUID(int=n * 7919) for n in range(400)]
    expected = [
        uuid5(NAMESPACE_URL, f"/d73/registration/{o}/{n}") for n, o in enumerate(originators)
    ]

    def ids(_: int) -> list[UUID]:
        return [event_id_of("registration", o, n) for n, o in enumerate(originators)]

    with ThreadPoolExecutor(4) as pool:
        assert all(result == expected for result in pool.map(ids, range(8)))
