"""Every exception class zonocomb defines derives from ZonocombError (errors.py's promise)."""
import importlib
import inspect
import pkgutil

import zonocomb
from zonocomb.errors import ZonocombError



def _modules():
    for info in pkgutil.walk_packages(zonocomb.__path__, "zonocomb."):
        if not info.name.endswith("__main__"):
            yield importlib.import_module(info.name)


def test_every_exception_class_derives_from_zonocomb_error():
    found, bad = [], []
    for module in _modules():
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found.append(f"{module.__name__}.{name}")
                if not issubclass(obj, (ZonocombError, Warning)):
                    bad.append(found[-1])
    assert len(found) > 10 and not bad, bad
