"""The kernel of shared rules: the working-day calendar, the legal rule sets, the
organisation directory, who acts (`actor.Actor`), legal citations and the legal-basis
table. Plain Python; it imports only the contracts.
"""
