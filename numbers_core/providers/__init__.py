"""The built-in carrier adapters: ``numbers_core.providers.twilio``, ``.kazoo``, ``.sinch``, ``.telnyx``,
``.vonage``, ``.plivo``.

Each is registered as a ``numbers_core.providers`` entry point, exactly as a third-party adapter is,
and holds all of its carrier's wire knowledge (adapter and emulator). In the repository they live in
the ``providers/`` folder at its root; the wheel installs them here, under this project's own import
name, so that no ``providers`` package of the user's or of another distribution can shadow them.
"""

from pathlib import Path

# A source checkout (an editable install, or tests run from the tree) has no copy here: the adapters
# stay in the repository's providers/ folder. Only a checkout has pyproject.toml beside that folder,
# so an installed wheel never reaches into a site-packages ``providers`` of another distribution.
_checkout = Path(__file__).resolve().parents[2]
if (_checkout / "pyproject.toml").is_file() and (_checkout / "providers").is_dir():
    __path__.append(str(_checkout / "providers"))
