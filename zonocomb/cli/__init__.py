"""The ``zonocomb`` command line: one module per subcommand, each with ``register(subparsers)``.

A subcommand module adds its parser and sets ``func`` to a callable ``func(args) -> int``
(the exit status). Global options (before or after the subcommand): ``--version``,
``-q/--quiet`` (no progress bars, no dashboard link), ``-v/--verbose`` (more detail: every
instance of ``zonocomb check``) and ``--debug`` (Python tracebacks instead of one-line errors).

Errors are one line on stderr, ``zonocomb COMMAND: error: ...``, with exit status 2 for bad input
(:class:`zonocomb.errors.InvalidInputError` and its kin, a missing or unreadable file) and 1 for a
computation that failed (:class:`zonocomb.errors.BackendError`, out of memory, an unexpected
exception, which is a bug: ``--debug`` shows its traceback). Warnings are one line each,
``zonocomb COMMAND: warning: ...``.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings

from ..errors import InvalidInputError, InvalidTypeError, ZonocombError

# Subcommand modules, in the order ``zonocomb --help`` lists them.
SUBCOMMANDS = ["demo", "vertices", "skeleton", "plot", "fit", "reproduce", "check", "landscape"]

# OSErrors that come from the command line's file names, not from the machine.
_USER_OS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError,
                   FileExistsError)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("zonocomb")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _global_options(parser, suppress: bool) -> None:
    """-q/-v/--debug; on subcommands with SUPPRESS defaults so they do not reset the main parser's."""
    default = (lambda value: argparse.SUPPRESS) if suppress else (lambda value: value)
    parser.add_argument("-q", "--quiet", action="store_true", default=default(False),
                        help="no progress bars and no Dask dashboard link")
    parser.add_argument("-v", "--verbose", action="count", default=default(0),
                        help="more detail (zonocomb check: every instance, not only the failures)")
    parser.add_argument("--debug", action="store_true", default=default(False),
                        help="show Python tracebacks instead of one-line error messages")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zonocomb",
        description="Exact zonotope geometry and combinatorial search for shallow ReLU networks.")
    parser.add_argument("--version", action="version", version=f"zonocomb {_version()}")
    _global_options(parser, suppress=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    for subparser in sub.choices.values():
        _global_options(subparser, suppress=True)
    return parser


def _one_line_warnings(command: str):
    def show(message, category, filename, lineno, file=None, line=None):
        print(f"zonocomb {command}: warning: {message}", file=sys.stderr if file is None else file)
    return show


def _error(command: str, message: str, status: int) -> int:
    print(f"zonocomb {command}: error: {message}", file=sys.stderr)
    return status


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.debug:
        return int(args.func(args) or 0)
    command = args.command
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warnings(command)
        try:
            return int(args.func(args) or 0)
        except (InvalidInputError, InvalidTypeError) as exc:
            return _error(command, str(exc), 2)
        except ZonocombError as exc:  # a computation that failed (solver, backend)
            return _error(command, str(exc), 1)
        except BrokenPipeError:  # output piped into a pager or `head` that closed early
            sys.stdout = open(os.devnull, "w")
            return 0
        except _USER_OS_ERRORS as exc:
            where = f": {exc.filename}" if exc.filename else ""
            return _error(command, f"{exc.strerror or exc}{where}", 2)
        except KeyboardInterrupt:
            print(f"zonocomb {command}: interrupted", file=sys.stderr)
            return 130
        except MemoryError:
            return _error(command, "out of memory; try a smaller problem", 1)
        except Exception as exc:  # a bug: one line here, the traceback with --debug
            return _error(command, f"internal error {type(exc).__name__}: {exc} "
                                   "(please report it; --debug shows the traceback)", 1)
