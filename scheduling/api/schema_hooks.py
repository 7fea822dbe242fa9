"""OpenAPI post-processing: the answers every operation can give, written into the schema once.

Found by schemathesis (tests/api/test_schemathesis.py): operations whose schema listed only
their happy path, while the app, correctly, also answers
- 400 to a malformed query or body, 404 to an unknown id or an unknown `?format=`,
- 413 to a body over REQUEST_MAX_BODY_BYTES, 429 from the throttles, 503 when the database is
  away (infusion_center.middleware);
FHIR operations' `application/fhir+json`; and formats that JSON Schema reads more strictly than the app means them: a `time` there needs
a UTC offset (our clock times have none), and an `email` field that may be left blank answers "".
"""

from __future__ import annotations

import re

METHODS = {"get", "post", "put", "patch", "delete"}
WRITE_METHODS = {"post", "put", "patch"}
CLOCK_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"

ANY_OBJECT = {"type": "object", "additionalProperties": True}

EXTRA = {
    "400": "Invalid input: `{field: [messages]}`.",
    "404": "No such object (or an unknown `format`).",
    "413": "The request body is larger than the limit.",
    "429": "Too many requests; see Retry-After.",
    "503": "The database is not available right now; see Retry-After.",
}


def _media_types(responses: dict) -> list[str]:
    for code in sorted(responses):
        if code.startswith("2"):
            content = responses[code].get("content") or {}
            if content:
                return list(content)
    return ["application/json"]


def _add(responses: dict, code: str, media: list[str]) -> None:
    if code not in responses:
        responses[code] = {
            "description": EXTRA[code],
            "content": {m: {"schema": ANY_OBJECT} for m in media},
        }


def _fhir_media(responses: dict) -> None:
    """FHIR endpoints answer `application/fhir+json` (the R4 media type), errors included."""
    for response in responses.values():
        content = response.setdefault("content", {"application/json": {"schema": ANY_OBJECT}})
        first = next(iter(content.values()), {"schema": ANY_OBJECT})
        content.setdefault("application/fhir+json", first)


def _relax_formats(node) -> None:
    """Walk every schema object: clock times get a pattern instead of format `time`; optional
    email strings accept the empty string they answer with."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            fmt = item.get("format")
            if item.get("type") == "string" and fmt == "time":
                item.pop("format")
                item["pattern"] = CLOCK_TIME
            elif item.get("type") == "string" and fmt == "email" and "minLength" not in item:
                item.pop("format")
                item["anyOf"] = [{"format": "email"}, {"maxLength": 0}]
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def harden_responses(result, generator, request, public):
    """drf-spectacular POSTPROCESSING_HOOK: see the module docstring."""
    for path, item in result.get("paths", {}).items():
        for method, operation in item.items():
            if method not in METHODS:
                continue
            responses = operation.setdefault("responses", {})
            media = _media_types(responses)
            params = operation.get("parameters", [])
            takes_input = bool(params) or "requestBody" in operation
            if takes_input:
                _add(responses, "400", media)
            if re.search(r"\{[^}]+\}", path) or any(p.get("name") == "format" for p in params):
                _add(responses, "404", media)
            if method in WRITE_METHODS:
                _add(responses, "413", media)
            _add(responses, "429", media)
            _add(responses, "503", media)
            if path.startswith("/fhir"):
                _fhir_media(responses)
    _relax_formats(result)
    return result
