"""Tests of the verifiable records (shared/records): the Merkle primitives (`merkle`) and
each service's signed log (`servicelog`)."""
