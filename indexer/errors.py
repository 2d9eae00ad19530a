"""Named errors. The CLI and the API map these to messages and status codes in one place."""


class PrecedentError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class IndexNotFoundError(PrecedentError):
    pass


class ModelMismatchError(PrecedentError):
    pass


class ModelLoadError(PrecedentError):
    pass


class IndexLockedError(PrecedentError):
    pass


class InvalidQueryError(PrecedentError):
    pass


class DocumentNotFoundError(PrecedentError):
    pass
