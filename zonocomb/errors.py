"""Exception hierarchy of zonocomb.

Every error raised on purpose derives from :class:`ZonocombError`; the ones caused by
bad input also derive from the matching builtin, so ``except ValueError`` keeps working.
Messages name the bad value and where it is ("row 7 of X contains nan").
"""


class ZonocombError(Exception):
    """Root of all zonocomb errors."""


class InvalidInputError(ZonocombError, ValueError):
    """Input data or a parameter has the wrong value (NaN, bad shape, unknown option...)."""


class CheckpointError(InvalidInputError):
    """A checkpoint cannot be resumed here: damaged, of another format, or of another search or
    problem (:mod:`zonocomb.search.checkpoint`)."""


class InvalidTypeError(ZonocombError, TypeError):
    """Input has a type zonocomb cannot interpret."""


class NotInGeneralPositionError(InvalidInputError):
    """An operation that needs data in general position received degenerate data."""


class TooLargeError(InvalidInputError):
    """An exact or exhaustive computation was asked for an instance beyond a size limit."""


class BackendError(ZonocombError, RuntimeError):
    """A wrapped library (cddlib, a solver) failed or returned something unusable."""


class SolverError(BackendError):
    """A convex solve failed (infeasible, unbounded, numerical failure)."""


class ZonocombWarning(UserWarning):
    """Something the user should know about the input or the result, which did not stop the work
    (a CSV header that was skipped, ...). The command line prints it as one line on stderr."""


class NotAVertexWarning(ZonocombWarning):
    """A region program (paper eq. 3) was solved for an activation pattern that is not a vertex of
    Z^m: some unit's row is the sign pattern of no weight vector (its cone {w : (2A_ui − 1) w·x̄_i > 0}
    is empty), so no network has this pattern and the optimum is that of a lower-dimensional face
    (paper section 3)."""
