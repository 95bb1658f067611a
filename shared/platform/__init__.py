"""The platform every service runs on: runtime, HTTP edge, outbox, consumers, event store,
envelope, subjects, settings, logs, identity, read models, halt, idempotency, metrics and
tracing. It imports the contracts and the kernel, never the records or a service.
"""
