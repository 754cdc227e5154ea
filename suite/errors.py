"""User-facing errors: the CLI prints them as one line and exits with code 2."""


class UserError(Exception):
    """A problem with the user's input (a file, an option), reported without a traceback.

    The message should name the file or option and the problem, e.g.
    ``UserError("clip.wav: not a WAV file")``.
    """
