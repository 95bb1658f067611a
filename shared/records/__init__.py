"""The verifiable records: the Merkle log primitives an auditor verifies offline
(`merkle`), each service's signed log (`servicelog`), the journal, the approved plan's hash,
protection certificates and their PDF. Built on the platform; the platform never imports them.
"""
