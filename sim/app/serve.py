"""Start the workshop app's web server, with everything it needs served from this machine.

Solara reads its settings from the environment when first imported, so they are set here first:
production mode (development mode loads frames from the web), no telemetry, front-end assets from
the installed solara-assets package (served at /_solara/cdn/), and a CDN address that fails at once
on this machine, so a missing asset shows up as an error instead of a silent fetch from the web.
"""

from __future__ import annotations

import os
import secrets
import tempfile
import warnings
from pathlib import Path

OFFLINE = {
    "SOLARA_APP": "sim.app.page",
    "SOLARA_MODE": "production",
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
}


def serve(scenario: Path, host: str = "127.0.0.1", port: int = 8765, public_url: str | None = None) -> None:
    """Serve the app for `scenario` until interrupted; `public_url` is shown to the room for joining."""
    os.environ.update(OFFLINE)
    if public_url:
        os.environ["CRITICAL_MASS_PUBLIC_URL"] = public_url
    os.environ.setdefault("SOLARA_HOME", tempfile.mkdtemp(prefix="critical-mass-solara-"))
    # signs the session cookie; Solara's default is a fixed, published string
    os.environ.setdefault("SOLARA_SESSION_SECRET_KEY", secrets.token_hex(32))
    os.environ["CRITICAL_MASS_SCENARIO"] = str(Path(scenario).resolve())
    # over plain http Solara falls back to samesite=lax cookies, which is right for a page that is
    # not embedded in another site, and says so at length on every first visit
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")
    import uvicorn  # after the environment: it imports solara's server, which reads it

    uvicorn.run("solara.server.starlette:app", host=host, port=port, log_level="warning")
