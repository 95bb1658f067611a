"""Which of an app's routes answers a request, remembered by what decides it (issue #19).

FastAPI's router tries its routes in order until one matches fully. Each router included before
the one that answers is asked in turn, and asking one walks all its routes with its own
bookkeeping: a submission to registration's `POST /proposals` passed the docs, the operations
and the audit routes first, ~190,000 instructions of each request's ~4.4 million. Which route
matches first depends only on the request's method, root path and path (no route here looks at
the host), so `RouteIndex` finds it once per distinct request line and hands each later request
straight to it, as the router would have; anything else (no route, a method no route takes, a
lifespan or WebSocket scope) goes through the router itself.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.routing import _apply_router_form_limits, _IncludedRouter, _update_scope
from fastapi.telemetry._api import _route_selected
from starlette.routing import BaseRoute, Host, Match, Mount
from starlette.types import Receive, Scope, Send

MAX_REMEMBERED = 4096
"""Request lines remembered at most (paths carry ids, so they are not a fixed set): when full,
the index starts again empty."""
NO_ROUTE = -1
_NOTHING_MORE: Scope = {}
"""What an included router's match adds to the scope (`_IncludedRouter.matches`); never
written to."""


class RouteIndex:
    """The router's own dispatch (`APIRouter.app`), with the route that matched remembered.

    The route a request line went to is checked again on every request (`matches`, the same
    call the router makes; an included router checks itself as it handles it), and forgotten
    whenever the router's routes change (its version); while any route matches by host, the
    router dispatches alone."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.first_full: dict[tuple[str, str, str], int] = {}
        """(method, root path, path) -> index of the first route that matches fully, or
        NO_ROUTE, for the routes of version `version`."""
        self.version: tuple[int, int] | None = None
        """The router's routes version, and how many routes it has."""
        self.usable = False
        """No route matches by host: the index may be used."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        router = self.router
        if scope["type"] != "http":
            await router.app(scope, receive, send)
            return
        routes = router.routes
        version = (router._get_routes_version(), len(routes))
        if version != self.version:
            self.first_full.clear()
            self.usable = host_free(routes)
            self.version = version
        if not self.usable:
            await router.app(scope, receive, send)
            return
        key = (scope["method"], scope.get("root_path", ""), scope["path"])
        index = self.first_full.get(key)
        if index is None:
            if len(self.first_full) >= MAX_REMEMBERED:
                self.first_full.clear()
            index = self.first_full[key] = first_full_match(routes, scope)
        if index == NO_ROUTE:
            await router.app(scope, receive, send)
            return
        route = routes[index]
        if type(route) is _IncludedRouter:
            # It matched this request line at this version of the routes, and an included
            # router's match is that alone (FastAPI keeps its own candidates by the version
            # too); it finds its route again as it handles the request, so it is not asked
            # twice (~37,000 instructions a request).
            match, child_scope = Match.FULL, _NOTHING_MORE
        else:
            match, child_scope = route.matches(scope)
        if match != Match.FULL:  # a route was replaced in place: ask the router
            self.first_full.pop(key, None)
            await router.app(scope, receive, send)
            return
        # What `APIRouter.app` does with the first route that matches fully, in its order.
        _apply_router_form_limits(scope, router.form_limits)
        if "router" not in scope:
            scope["router"] = router
        _update_scope(scope, child_scope)
        _route_selected(
            scope=scope, path=getattr(route, "path_format", None), mount=isinstance(route, Mount)
        )
        await route.handle(scope, receive, send)


def first_full_match(routes: list[BaseRoute], scope: Scope) -> int:
    """The index of the first route matching `scope` fully (NO_ROUTE if none does). Asking a
    route leaves the scope as it was: `APIRouter.app` asks the same way before it chooses."""
    for index, route in enumerate(routes):
        match, _ = route.matches(scope)
        if match == Match.FULL:
            return index
    return NO_ROUTE


def host_free(routes: list[BaseRoute]) -> bool:
    """No route, here or in an included router, matches by the Host header (the index's key
    leaves the headers out)."""
    for route in routes:
        if isinstance(route, Host):
            return False
        if isinstance(route, _IncludedRouter) and not host_free(route.original_router.routes):
            return False
    return True


def index_routes(router: APIRouter) -> bool:
    """Let `router` dispatch through a `RouteIndex` unless it has middleware of its own; True
    if it does."""
    if router.middleware_stack != router.app:
        return False
    router.middleware_stack = RouteIndex(router)
    return True
