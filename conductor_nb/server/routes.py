"""The server's route table: every ConductorAPI endpoint, plus the server's own, matched by method and path."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from ..errors import ConductorError, NotFoundError
from ..http.endpoints import ENDPOINTS, Body, Endpoint, Param, Reply

API = "/api"

# Served on top of the ConductorAPI (ops are methods of the Service, see service.py).
START_BY_NAME = Endpoint("start_workflow_by_name", "POST", "/workflow/{name}",
                         (Param("version", int), Param("correlationId"), Param("priority", int, 0)),
                         Body("input", dict, required=False), Reply.TEXT, str)
TOKEN = Endpoint("generate_token", "POST", "/token", body=Body("request", dict), returns=dict)
HEALTH = Endpoint("health", "GET", "/health", returns=dict)
API_DOCS = Endpoint("api_docs", "GET", "/api-docs", returns=dict)


class MethodNotAllowed(ConductorError):
    """The path exists, but not for this HTTP method (405)."""

    status = 405

    def __init__(self, method: str, path: str, allowed: list[str]):
        super().__init__(f"Request method '{method}' is not supported for {path}")
        self.allowed = allowed


@dataclass(frozen=True)
class Route:
    """An endpoint served at `base + endpoint.path`; `public` routes need no token when auth is on."""

    endpoint: Endpoint
    base: str = API
    public: bool = False
    pattern: re.Pattern = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        regex = "/".join(f"(?P<{s[1:-1]}>[^/]+)" if s.startswith("{") else re.escape(s) for s in self.path.split("/"))
        object.__setattr__(self, "pattern", re.compile(f"^{regex}$"))

    @property
    def path(self) -> str:
        return self.base + self.endpoint.path

    @property
    def specificity(self) -> tuple:
        """Literal segments before placeholders: `/workflow/search` wins over `/workflow/{workflowId}`."""
        return tuple(segment.startswith("{") for segment in self.path.split("/"))


ROUTES: tuple[Route, ...] = (
    *(Route(e) for e in ENDPOINTS),
    Route(START_BY_NAME),
    Route(TOKEN, public=True),
    Route(HEALTH, public=True),
    Route(HEALTH, base="", public=True),
    Route(API_DOCS, base="", public=True),
)


class Router:
    """Finds the route for a request: NotFoundError (404) or MethodNotAllowed (405) when there is none."""

    def __init__(self, routes: tuple[Route, ...] = ROUTES):
        self._routes = sorted(routes, key=lambda r: r.specificity)

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        path = path.rstrip("/") or "/"
        allowed = []
        for route in self._routes:
            found = route.pattern.match(path)
            if found is None:
                continue
            if route.endpoint.method == method:
                return route, {name: unquote(value) for name, value in found.groupdict().items()}
            allowed.append(route.endpoint.method)
        if allowed:
            raise MethodNotAllowed(method, path, allowed)
        raise NotFoundError(f"No endpoint {method} {path}")
