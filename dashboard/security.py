"""Security headers on every response, with a Content-Security-Policy that Dash can live with."""
from __future__ import annotations

import dash
from flask import Response

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}


def content_security_policy(script_hashes: list[str]) -> str:
    """Scripts only from this server or as hashed inline scripts (Dash's renderer and clientside callbacks).

    Styles allow inline because React sets style attributes and plotly.js injects <style> elements.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def install(app: dash.Dash) -> None:
    """Add the headers to every response. Hashes are computed on first use, after every callback is registered."""
    policy: list[str] = []

    @app.server.after_request
    def _headers(response: Response) -> Response:
        if not policy:
            policy.append(content_security_policy(list(app.csp_hashes())))
        response.headers.update(STATIC_HEADERS)
        response.headers["Content-Security-Policy"] = policy[0]
        return response
