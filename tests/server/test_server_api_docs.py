"""GET /api-docs: an OpenAPI document generated from the route table, covering everything served."""

from conductor_nb.http.endpoints import ENDPOINTS
from conductor_nb.server.routes import ROUTES


def refs(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from refs(item)


def test_every_route_is_documented_and_every_reference_resolves(http, server):
    docs = http.get(server.url.replace("/api", "/api-docs")).json()
    assert docs["openapi"].startswith("3.")
    served = {(r.endpoint.method.lower(), r.path) for r in ROUTES}
    documented = {(method, path) for path, operations in docs["paths"].items() for method in operations}
    assert documented == served
    assert {e.op for e in ENDPOINTS} <= {op["operationId"] for ops in docs["paths"].values() for op in ops.values()}
    schemas = docs["components"]["schemas"]
    assert all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs(docs))
    assert "securitySchemes" not in docs["components"]  # no auth on this server


def test_operations_carry_their_parameters_bodies_and_replies(http, server):
    paths = http.get(server.url.replace("/api", "/api-docs")).json()["paths"]
    poll = paths["/api/tasks/poll/batch/{tasktype}"]["get"]
    assert {p["name"]: p["in"] for p in poll["parameters"]} == {
        "tasktype": "path", "workerid": "query", "domain": "query", "count": "query", "timeout": "query"}
    assert {p["name"]: p["schema"].get("default") for p in poll["parameters"]}["timeout"] == 100
    start = paths["/api/workflow"]["post"]
    assert start["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/StartWorkflowRequest"}
    assert "text/plain" in start["responses"]["200"]["content"]
    assert set(paths["/api/workflow/{workflowId}/retry"]["post"]["responses"]) == {"204", "default"}
    assert start["summary"] == "POST /workflow: the new workflow's id."
