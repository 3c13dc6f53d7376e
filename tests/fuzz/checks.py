"""Checks of the schemathesis step in scripts/test (loaded with SCHEMATHESIS_HOOKS=checks).

Besides schemathesis's own `not_a_server_error` (no 5xx): every refusal (4xx) is the
store's JSON error shape, `{"type": <string>, "message": <string>}` as application/json.
"""

import schemathesis


@schemathesis.check
def json_error_shape(ctx, response, case):
    """A 4xx answer is JSON with a string `type` and a string `message`."""
    if not 400 <= response.status_code < 500:
        return
    content_type = response.headers.get("content-type", [""])
    if isinstance(content_type, list):
        content_type = content_type[0] if content_type else ""
    if not content_type.startswith("application/json"):
        raise AssertionError(
            f"{response.status_code} answered as {content_type!r}, not application/json"
        )
    try:
        body = response.json()
    except Exception as exc:  # the body is not JSON at all
        raise AssertionError(f"{response.status_code} answer is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise AssertionError(f"{response.status_code} answer is not an object: {body!r}")
    for key in ("type", "message"):
        if not isinstance(body.get(key), str):
            raise AssertionError(
                f"{response.status_code} answer lacks a string {key!r}: {body!r}"
            )
