"""The prediction service: a FastAPI application over model bundles, and its web page.

``cellresponse serve`` runs it with uvicorn on 127.0.0.1. Endpoints (``/api/v1``):
``response``, ``response/upload``, ``expression``, ``repurposing``, ``models``,
``models/{name}``, ``health``; OpenAPI at ``/openapi.json`` and ``/docs`` (served
offline); the page at ``/``. Each route calls the library function behind it
(:mod:`cellresponse.pipeline`). Needs the ``[serve]`` extra (FastAPI, uvicorn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cellresponse.service._state import NAME_RE, ServedModel, ServiceSettings, load_served_models

if TYPE_CHECKING:
    from fastapi import FastAPI

SERVE_INSTALL_HINT = "pip install 'cellresponse[serve]'"


def create_app(models: dict[str, ServedModel], *, settings: ServiceSettings | None = None) -> FastAPI:
    """The ASGI application serving ``models`` (see :func:`load_served_models`).

    Imported lazily so that ``import cellresponse.service`` works without the extra.
    """
    try:
        from cellresponse.service._app import create_app as _create
    except ImportError as err:
        raise ImportError(f"the service needs FastAPI and uvicorn: {SERVE_INSTALL_HINT} ({err})") from err
    return _create(models, settings=settings)


__all__ = ["NAME_RE", "SERVE_INSTALL_HINT", "ServedModel", "ServiceSettings", "create_app", "load_served_models"]
