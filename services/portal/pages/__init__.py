"""The portal's pages, one module per kind of work: proposing, deciding, monitoring, auditing."""
