"""The Mobile interface: small XHTML-friendly pages under ``/m``, usable at 360 px and without JavaScript.

Every module of this package named ``views_*.py`` is imported when the app is made, so an area adds its
pages by adding a module that registers routes on :data:`webmail.mobile.blueprint.bp`; templates go in
``skins/base/templates/mobile/`` and extend ``mobile/frame.html``. Markup stays well-formed (closed
elements, quoted attributes) so the pages parse as XHTML too.
"""

from __future__ import annotations

import importlib
import pkgutil

from webmail.mobile.blueprint import bp

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("views_")):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["bp"]
