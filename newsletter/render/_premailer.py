"""Stage 3 (renderer), loading premailer for `html.inline_css` at the cost of what it does here.

premailer imports `requests` to fetch external stylesheets, which `inline_css` never lets it
do, and has cssutils check every `style` attribute against the CSS profiles, only to log what
it finds, which `inline_css` silences. In a fresh `newsletter build` those two were a fifth
of the process: importing `requests` (urllib3, charset detection) and compiling the
profiles' regular expressions. Here `requests` is imported lazily:
`sys.modules` holds a module that imports the real one the first time any of its names is
read and hands every name on from it (the standard library's `importlib.util.LazyLoader`
cannot serve here: an `import` of a module it made reads its `__spec__`, which loads it), and
cssutils validates nothing. Neither changes premailer's output.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from typing import Any


class _Deferred(types.ModuleType):
    """A module that stands for the module of its name until one of its names is read, then imports
    the real module (which takes its place in `sys.modules`) and hands the name on."""

    def __getattr__(self, attribute: str) -> Any:
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attribute)


def _import_lazily(name: str) -> None:
    """Put `name` in `sys.modules` as a module that is imported on first use."""
    if name in sys.modules:
        return
    spec = importlib.util.find_spec(name)
    if spec is None:
        return
    module = _Deferred(name)
    module.__spec__ = spec
    sys.modules[name] = module


_import_lazily("requests")

import cssutils  # noqa: E402
from premailer import Premailer  # noqa: E402

# Validation only feeds cssutils' log; premailer asks for it on `style` attributes even with
# disable_validation=True. With no profiles there is nothing to validate against.
cssutils.profile.removeProfile(all=True)

__all__ = ["Premailer"]
