"""docs/openapi.yaml: a valid OpenAPI 3.0 document that lists every route the responder
has, and the real nginx + responder keep to it under schemathesis.

The schemathesis run is the CLI (`st run`, here as `python3 -m schemathesis.cli run`, the
same entry point under the interpreter running pytest) against the module's stack on
127.0.0.1 only. It fails on any 5xx, any status code the document does not list for the
operation, and any body that does not match the documented schema.

Knobs (environment): SCHEMATHESIS_SEED (default fixed, so a failure reproduces),
SCHEMATHESIS_MAX_EXAMPLES (default 200 per operation; the run takes ~15 s here).
"""
import importlib.metadata
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from openapi_spec_validator import OpenAPIV30SpecValidator, validate
from openapi_spec_validator.readers import read_from_filename

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs/openapi.yaml"
ROUTER = ROOT / "Sources/Web/Router.swift"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance"


def load_spec():
    spec, _ = read_from_filename(str(SPEC))
    return spec


def operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def deref(spec, node):
    """The object a local `$ref` points at (or `node` itself)."""
    while isinstance(node, dict) and "$ref" in node:
        target = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


# (a) The document itself.

def test_openapi_document_is_valid_openapi_3_0():
    spec = load_spec()
    assert spec["openapi"] == "3.0.3"
    validate(spec, cls=OpenAPIV30SpecValidator)


def test_every_api_route_of_the_router_is_documented_and_nothing_else():
    routes = set()
    for method, pattern in re.findall(r'Route\("([A-Z]+)",\s*"([^"]+)"', ROUTER.read_text()):
        if not pattern.startswith("/api/"):
            continue  # the HTML pages are not part of the API
        routes.add((pattern, method.lower()))
    assert len(routes) >= 13, f"could not read the routes of {ROUTER}"
    documented = {(path, method) for path, method, _ in operations(load_spec())}
    assert documented == routes, (
        f"only in Router.swift: {sorted(routes - documented)}; only in openapi.yaml: {sorted(documented - routes)}")


def test_every_operation_documents_its_errors_with_the_error_schema():
    spec = load_spec()
    error = {"$ref": "#/components/schemas/Error"}
    for path, method, operation in operations(spec):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        for status in ("403", "405", "413"):
            assert status in responses, f"{where} does not document {status}"
        # A record named by its id is there or not (404); dates, months, bodies and query
        # values can be well-formed and invalid.
        queries = [p for p in operation.get("parameters", []) if deref(spec, p).get("in") == "query"]
        if method == "post" or "{date}" in path or "{month}" in path or queries:
            assert "422" in responses, f"{where} does not document 422"
        # A JSON body can be malformed (400); the iCalendar import answers a body that is
        # no calendar with 422.
        if method == "post" and "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert "400" in responses, f"{where} does not document 400"
        if method == "delete":
            assert "404" in responses and "204" in responses, f"{where} does not document 204 and 404"
        for status, response in responses.items():
            response = deref(spec, response)
            if status == "204":
                assert "content" not in response, f"{where} {status} has a body"
                continue
            schema = response["content"]["application/json"]["schema"]
            if status.startswith("4"):
                assert schema == error, f"{where} {status} is not the Error schema"
    heartbeat = spec["paths"]["/api/heartbeat"]["post"]
    assert heartbeat["security"] == [{"bearerAuth": []}]
    assert "401" in heartbeat["responses"]
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


# (b) The live stack against the document.

def schemathesis_command():
    try:
        version = importlib.metadata.version("schemathesis")
    except importlib.metadata.PackageNotFoundError:
        raise AssertionError("schemathesis is not installed (python3 -m pip install schemathesis)") from None
    assert int(version.split(".")[0]) >= 4, f"schemathesis {version}: this test uses the 4.x CLI"
    return [sys.executable, "-m", "schemathesis.cli"]


def test_live_stack_conforms_to_the_document(stack, tmp_path):
    seed = os.environ.get("SCHEMATHESIS_SEED", "20240506")
    examples = os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "200")
    command = schemathesis_command() + [
        "run", str(SPEC),
        "--url", stack.url,
        "-H", f"Authorization: Bearer {stack.token}",
        "--checks", CHECKS,
        "--phases", "examples,coverage,fuzzing,stateful",
        "--max-examples", examples,
        "--seed", seed,
        "--workers", "1",
        "--request-timeout", "10",
        "--max-redirects", "0",
        "--generation-database", "none",
        "--suppress-health-check", "all",
        "--no-color",
    ]
    # Nothing but the stack on 127.0.0.1: no proxy, and schemathesis' caches in tmp_path.
    env = {name: value for name, value in os.environ.items()
           if name.lower() not in ("http_proxy", "https_proxy", "all_proxy")}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    pid = stack.responder_pid()
    started = time.monotonic()
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode == 0, (
        f"schemathesis found problems (exit {result.returncode}, seed {seed}, "
        f"{time.monotonic() - started:.0f} s):\n{output}")
    assert "passed" in output and "Test cases" in output, f"schemathesis ran no test case:\n{output}"
    # A crash between requests would be hidden by scripts/serve restarting the responder.
    assert stack.responder_pid() == pid, "the responder was restarted during the run:\n" + (
        stack.data_dir / "serve.out").read_text()
