"""Assertions shared by the API tests."""

ERROR_KEYS = {"code", "message", "fields"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """The answer is `status` with the one JSON error shape (and `code`, when given); returns the body."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    extra = {429: {"retry_after"}, 412: {"current_version"}}.get(status, set())
    assert set(body) == ERROR_KEYS | extra, body
    assert isinstance(body["message"], str)
    assert body["message"]
    assert isinstance(body["fields"], dict)
    if code is not None:
        assert body["code"] == code, body
    return body


def version_tag(response) -> str:
    """The row-and-version part of an answer's ETag (`"7-3"` of `"7-3-<digest>"`), as `record.etag`."""
    etag = response["ETag"]
    assert etag[0] == etag[-1] == '"', etag
    pk, version, _digest = etag.strip('"').split("-")
    return f'"{pk}-{version}"'
