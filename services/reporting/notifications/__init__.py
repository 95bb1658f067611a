"""Notifications: who must act next learns it, in the portal and by e-mail (issue #16).

A component hosted in reporting's process, with its own store (`notifications.sqlite`, or the
schema `notifications` of reporting's PostgreSQL database) and its own durable consumer on
approval's case events. It owns nothing of reporting's projections: it derives, for each event,
who must be told (`rules`), from the organisation directory version in force (`recipients`),
records each notification and its pending e-mail in one transaction (`store`), and sends from
that outbox (`sender`), so that a redelivered or replayed event never mails anyone twice.
"""
