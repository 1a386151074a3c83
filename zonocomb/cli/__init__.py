"""The ``zonocomb`` command line: one module per subcommand, each with ``register(subparsers)``.

A subcommand module adds its parser and sets ``func`` to a callable ``func(args) -> int``
(the exit status). Errors derived from :class:`zonocomb.errors.ZonocombError` are printed as one
line on stderr with exit status 2; anything else is a bug and keeps its traceback.
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from ..errors import ZonocombError

# Subcommand modules, in the order ``zonocomb --help`` lists them.
SUBCOMMANDS = ["demo", "vertices", "skeleton", "plot", "fit", "reproduce", "check"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="zonocomb",
        description="Exact zonotope geometry and combinatorial search for shallow ReLU networks.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in SUBCOMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ZonocombError as exc:
        print(f"zonocomb {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a pager or `head` that closed early
        sys.stdout = open(os.devnull, "w")
        return 0
    except KeyboardInterrupt:
        print(f"zonocomb {args.command}: interrupted", file=sys.stderr)
        return 130
