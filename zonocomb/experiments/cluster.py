"""Connecting to a Dask cluster for the sweeps (``zonocomb reproduce --scheduler``).

:func:`~zonocomb.experiments.runner.run_sweep` takes the client this returns (or an address). The
errors name the command-line option ``--scheduler``, whose value ``address`` is.
"""
from __future__ import annotations

from ..errors import BackendError, InvalidInputError

__all__ = ["connect_scheduler"]


def connect_scheduler(address: str, timeout: float = 5.0, quiet: bool = False):
    """A ``dask.distributed.Client`` of the scheduler at ``address``, or a one-line error naming it.

    Gives up after ``timeout`` seconds; prints the dashboard link unless ``quiet``.

    Raises
    ------
    InvalidInputError
        A malformed address, or dask.distributed is not installed (the ``[distributed]`` extra).
    BackendError
        Nothing answered at ``address`` within ``timeout`` seconds, or something that is not a
        Dask scheduler answered.
    """
    try:
        from dask.distributed import Client
    except ImportError:
        raise InvalidInputError("--scheduler needs dask.distributed: pip install 'zonocomb[distributed]'") from None
    try:
        client = Client(address, timeout=timeout)
    except ValueError as exc:
        raise InvalidInputError(f"--scheduler {address!r} is not a Dask scheduler address ({exc})") from None
    except MemoryError:  # the peer sent a huge frame length: not the Dask protocol
        raise BackendError(f"{address} answered, but not as a Dask scheduler") from None
    except Exception as exc:
        reason = str(exc) or type(exc).__name__
        raise BackendError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s: {reason}") from None
    if not quiet:
        print(f"Dask scheduler {address}: dashboard {client.dashboard_link}")
    return client
