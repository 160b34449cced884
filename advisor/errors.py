"""The one error type the CLI turns into a single line and exit code 2."""


class AdvisorError(ValueError):
    """Bad user input (data, model, plan, options). The message says what was
    wrong and how to fix it, in one line."""
