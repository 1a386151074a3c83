"""``zonocomb check``: run the executable checks of the paper's statements (``proofs_checks/``), or with
``--data FILE.csv`` the statements that apply to one dataset (:mod:`zonocomb.cli.check_data`)."""
from __future__ import annotations

import json

from ..errors import InvalidInputError


def register(sub) -> None:
    p = sub.add_parser("check", help="verify the paper's statements on small seeded instances",
                       description="Run the modules of proofs_checks/ (one per statement of the paper), "
                                   "print a table and exit with status 1 if any check fails.")
    p.add_argument("--only", metavar="NAME", action="append", default=None,
                   help="run only this check (module name or its NAME); may be repeated")
    p.add_argument("--fast", action="store_true", help="run only the checks marked FAST")
    p.add_argument("--list", action="store_true", help="list the available checks and exit")
    p.add_argument("--json", action="store_true",
                   help="print the results as one JSON object (name, statement, instances, passed, "
                        "seconds, details per check) instead of the table")
    p.add_argument("--data", metavar="FILE.csv",
                   help="instead, check the statements that apply to this labelled dataset (last column = label): "
                        "general position, vertex count, theorems 4.3 and 4.1, exact ERM with an exact certificate")
    p.add_argument("--units", type=int, default=None, metavar="M",
                   help="hidden units for --data's exact ERM (default 1; v = +1, -1, +1, ...)")
    p.add_argument("--max-seconds", type=float, default=None, metavar="S",
                   help="refuse --data when its estimated time exceeds S seconds (default 120)")
    p.set_defaults(func=run)


def _by_attribute(names: list[str]) -> dict[str, str]:
    """Map each loadable check's NAME attribute to its module name."""
    from .. import proofs_checks
    out = {}
    for mod_name in names:
        try:
            out.setdefault(proofs_checks.load_check(mod_name).NAME, mod_name)
        except Exception:  # a broken module can still be selected (and reported) by module name
            pass
    return out


def _select(only: list[str] | None) -> list[str]:
    from .. import proofs_checks
    names = proofs_checks.check_names()
    if not only:
        return names
    by_attr = None
    chosen = []
    for wanted in only:
        if wanted not in names:
            by_attr = _by_attribute(names) if by_attr is None else by_attr
            if wanted not in by_attr:
                raise InvalidInputError(f"unknown check {wanted!r}; available: {', '.join(names)}")
            wanted = by_attr[wanted]
        chosen.append(wanted)
    return list(dict.fromkeys(chosen))


def _is_fast(name: str) -> bool:
    from .. import proofs_checks
    try:
        return proofs_checks.load_check(name).FAST
    except Exception:  # run it anyway so that the failure to load is reported
        return True


def run(args) -> int:
    if args.data is not None:
        if args.only or args.fast or args.list or args.json:
            raise InvalidInputError("--data checks a dataset; it cannot be combined with --only, --fast, --list or --json")
        from .check_data import run_data
        return run_data(args)
    if args.units is not None or args.max_seconds is not None:
        raise InvalidInputError("--units and --max-seconds apply to --data only")
    from .. import proofs_checks
    from ..proofs_checks.base import format_result

    names = _select(args.only)
    if args.fast:
        names = [n for n in names if _is_fast(n)]
    if not names:
        raise InvalidInputError("no check selected: the checks named by --only are all slow and "
                                "--fast keeps only the fast ones (see --list)")
    if args.list:
        for n in names:
            try:
                mod = proofs_checks.load_check(n)
                print(f"{n:<24} {'fast' if mod.FAST else 'slow'}  {mod.STATEMENT}")
            except Exception as exc:
                print(f"{n:<24} BROKEN  {type(exc).__name__}: {exc}")
        return 0
    if args.json:
        results = [proofs_checks.run_check(n) for n in names]
        failed = [r for r in results if not r.passed]
        print(json.dumps({"passed": not failed, "n_checks": len(results), "n_failed": len(failed),
                          "checks": [{"module": n, "name": r.name, "statement": r.statement,
                                      "instances": r.n_instances, "passed": r.passed,
                                      "seconds": r.seconds, "details": r.details}
                                     for n, r in zip(names, results)]}, indent=1))
        return 1 if failed else 0
    results = []
    print(f"{'check':<24} {'instances':>9}  {'result':<6} {'seconds':>8}  statement")
    for n in names:
        r = proofs_checks.run_check(n)
        results.append(r)
        print(f"{r.name:<24} {r.n_instances:>9}  {'PASS' if r.passed else 'FAIL':<6} {r.seconds:>8.2f}  {r.statement}",
              flush=True)
    failed = [r for r in results if not r.passed]
    for r in results:
        if args.verbose or not r.passed:
            print()
            print(format_result(r))
    print(f"\n{len(results) - len(failed)} of {len(results)} checks passed")
    return 1 if failed else 0
