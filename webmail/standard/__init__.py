"""The Standard interface: server-rendered pages under ``/mail`` that work without JavaScript.

Every module of this package named ``views_*.py`` is imported when the app is made, so an area adds its
pages by adding a module (``views_folders.py``, ``views_message.py``, ``views_compose.py``...) that
registers routes on :data:`webmail.standard.blueprint.bp`; templates go in
``skins/base/templates/standard/`` and extend ``layout/frame.html``.
"""

from __future__ import annotations

import importlib
import pkgutil

from webmail.standard.blueprint import bp

for _module in sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("views_")):
    importlib.import_module(f"{__name__}.{_module}")

__all__ = ["bp"]
