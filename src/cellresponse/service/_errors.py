"""The service's error type and the JSON error body (``{"error": ..., "field": ...}``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse


class ServiceError(Exception):
    """An HTTP error with a JSON body naming the field at fault."""

    def __init__(self, status: int, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.field = field


def error_response(status: int, message: str, field: str | None = None) -> JSONResponse:
    return JSONResponse({"error": message, "field": field}, status_code=status)


def _loc(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "pairs", 0, "drug")`` -> ``pairs[0].drug``."""
    out = ""
    for part in loc:
        if part in ("body", "query", "path") and not out:
            continue
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "body"


def validation_message(errors: Sequence[Any]) -> tuple[int, str, str | None]:
    """(status, message, field) for pydantic errors; malformed JSON is a 400."""
    first: dict[str, Any] = dict(errors[0]) if errors else {"loc": ("body",), "msg": "invalid request", "type": ""}
    if first.get("type") == "json_invalid":
        ctx: dict[str, Any] = dict(first.get("ctx") or {})
        where = list(first.get("loc") or ("body", "?"))[-1]
        return 400, f"body: malformed JSON at character {where}: {ctx.get('error', first.get('msg'))}", "body"
    field = _loc(tuple(first.get("loc") or ()))
    msgs = [f"{_loc(tuple(e.get('loc') or ()))}: {e.get('msg')}" for e in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return 422, "; ".join(msgs) + more, field


__all__ = ["ServiceError", "error_response", "validation_message"]
