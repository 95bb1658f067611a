"""The one error a broken or missing rule set raises."""


class RuleSetError(Exception):
    """A rule-set file is invalid, or no rule set answers the question asked.

    The message names the file and the field, so an operator can fix the data.
    """
