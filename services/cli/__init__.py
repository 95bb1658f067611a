"""The `d73` command line and the deployment tooling it drives: the NATS account model
(`natsconfig`), the embedded `nats-server` (`natsserver`), agency users, generated
secrets, backups and offline verification.
"""
