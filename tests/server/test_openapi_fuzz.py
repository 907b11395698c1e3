"""Property-based run over the OpenAPI schema (schemathesis) against a live server, authenticated.

At least 1,000 generated requests; every answer must be a non-5xx that matches its documented
status, content type and schema. Path ids are swapped for real ones half of the time, so the
generated bodies reach the handlers instead of stopping at 404.
"""

from __future__ import annotations

import anyio
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import checks
from schemathesis.generation.case import Case

from tests.server.conftest import PASSWORD, LiveServer, create_user_in

pytestmark = pytest.mark.slow
# What the contract promises: no server error; status code, content type, headers and body as
# documented. (Not `positive_data_acceptance`: a schema-valid body naming an unknown user or
# agent is rightly a 422 that no schema can foresee.)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
MIN_REQUESTS = 1_000


def prepared(server: LiveServer) -> tuple[dict[str, str], dict[str, str]]:
    """A logged-in owner, a workspace with a session, and the ids to put into paths."""
    email, _ = anyio.run(create_user_in, server.settings.resolved_database_url)
    with httpx.Client(base_url=server.url, timeout=30) as http:
        tokens = http.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        ws = http.post("/api/v1/workspaces", json={"name": "fuzz"}, headers=auth).json()["id"]
        session = http.post(f"/api/v1/workspaces/{ws}/sessions", json={"agent": "calc", "message": "1+1"}, headers=auth)
        key = http.post(f"/api/v1/workspaces/{ws}/api-keys", json={"name": "fuzz"}, headers=auth).json()
        hook = http.post(
            f"/api/v1/workspaces/{ws}/webhooks", json={"url": "http://127.0.0.1:9/", "event_types": ["*"]}, headers=auth
        ).json()
    ids = {
        "workspace_id": ws,
        "session_id": session.json()["id"],
        "key_id": key["id"],
        "webhook_id": hook["id"],
        "name": "calc",
    }
    return auth, ids


# schemathesis' own strategies touch the global `random` (its concern, not a flaw of the server).
@pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning")
def test_generated_requests_get_no_5xx_and_match_the_schema(live_server: LiveServer) -> None:
    auth, ids = prepared(live_server)
    schema = schemathesis.openapi.from_url(f"{live_server.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    per_operation = MIN_REQUESTS // len(operations) + 10
    sent = 0
    for operation in operations:

        @settings(
            max_examples=per_operation,
            deadline=None,
            database=None,
            derandomize=True,  # the same requests every run: CI stays reproducible
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(), real_ids=st.booleans(), anonymous=st.integers(0, 9))
        def run(case: Case, real_ids: bool, anonymous: int) -> None:
            nonlocal sent
            if real_ids and case.path_parameters:
                case.path_parameters.update({k: v for k, v in ids.items() if k in case.path_parameters})
            if case.path.endswith("/stream"):
                case.query = {**(case.query or {}), "until": "idle"}  # never: would stream forever
            headers = case.headers if anonymous == 0 else {**(case.headers or {}), **auth}
            response = case.call(base_url=live_server.url, headers=headers, timeout=30)
            sent += 1
            assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
            case.validate_response(response, headers=headers, checks=CHECKS)

        run()
    assert sent >= MIN_REQUESTS
