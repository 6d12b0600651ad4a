"""Figure 2: every dashboard callback through HTTP POST /_dash-update-component, against an echo callback.

Each page is opened as a browser opens it (the router's layout, then the callbacks that run on load); then, per
callback, CALLS user actions in a row: a filter changed on the page (a slider handle moved, another option picked,
a dropdown cleared), a page opened from a shared URL with filters, a CSV button clicked on a chart that has data,
a claim clicked. The echo callback gets the same number of calls with the same kind of values.

The Data page's CSV is a link to a GET route, not a callback; it is measured in the same session as ROUTE: CALLS
downloads of what the link holds at that moment (the Data view's filters and its grid's last sort and filters).
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from tests.benchmarks.bench_app import ECHO_IN, ECHO_OUT
from tests.benchmarks.dash_client import Callback, Client, View, download_path, new_value, url_query, wildcard

CALLS = 200
ROUTE = "GET /download/trade.csv"  # the schedule's key for the Data page's CSV route
ROUTE_LABEL = "download-csv (GET /download/trade.csv)"
REPLAY_KEEP = 25  # requests kept per callback for the concurrency figure


@dataclass
class Timings:
    """One callback's measured calls."""

    label: str
    seconds: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)  # the page of each call, for the page router

    def record(self, seconds: float, status: int, content: bytes, body: dict[str, Any], group: str = "") -> None:
        self.seconds.append(seconds)
        self.statuses.append(status)
        self.sizes.append(len(content))
        self.groups.append(group)
        if len(self.bodies) < REPLAY_KEEP:
            self.bodies.append(body)

    def summary(self) -> dict[str, Any]:
        ms = sorted(s * 1000 for s in self.seconds)
        errors = sum(1 for s in self.statuses if s >= 400)
        out = {"calls": len(ms), "p50_ms": round(percentile(ms, 50), 2), "p95_ms": round(percentile(ms, 95), 2),
               "max_ms": round(ms[-1], 2), "mean_kb": round(sum(self.sizes) / len(self.sizes) / 1024, 1),
               "errors": errors}
        if any(self.groups):
            by: dict[str, list[float]] = {}
            for group, seconds in zip(self.groups, self.seconds):
                by.setdefault(group, []).append(seconds * 1000)
            out["by_page"] = {g: {"calls": len(v), "p50_ms": round(percentile(sorted(v), 50), 2),
                                  "p95_ms": round(percentile(sorted(v), 95), 2)} for g, v in sorted(by.items())}
        return out


def percentile(sorted_values: list[float], q: float) -> float:
    """Linear-interpolated percentile of an ascending list."""
    if not sorted_values:
        return float("nan")
    position = (len(sorted_values) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def open_page(client: Client, path: str) -> View:
    """The page after load: the router's layout, then every callback that runs when it appears."""
    view = client.view(path)
    for callback in client.callbacks:
        if callback.initial and client.resolves(callback, view) and not _is_echo(callback):
            _seconds, status, content = client.post(client.request(callback, view))
            if status >= 400:
                raise RuntimeError(f"{callback.label()} failed ({status}) while opening {path}")
            client.apply(view, content)
    return view


def _is_echo(callback: Callback) -> bool:
    return callback.outputs[0][0] == ECHO_OUT


def _echo_request(callback: Callback, rng: random.Random) -> dict[str, Any]:
    value = rng.choice(["A", "M", "usd", "index", "chpl_tier_1", "crude_oil", 156, 643, [2017, 2024]])
    return {"output": callback.output, "outputs": {"id": ECHO_OUT, "property": "children"},
            "inputs": [{"id": ECHO_IN, "property": "value", "value": value}],
            "changedPropIds": [f"{ECHO_IN}.value"], "state": []}


def _action(client: Client, callback: Callback, views: dict[str, View], rng: random.Random
            ) -> tuple[dict[str, Any], View | None] | None:
    """One user action that fires `callback` (its request, and the page it happens on); None if none can."""
    if _is_echo(callback):
        return _echo_request(callback, rng), None
    if callback is client.router:
        return _navigate(client, views, rng), None
    candidates = [v for v in views.values() if client.resolves(callback, v)]
    rng.shuffle(candidates)
    for view in candidates:
        choice = _change_input(callback, view, rng)
        if choice is not None:
            changed, match = choice
            return client.request(callback, view, changed, match), view
    return None


def _navigate(client: Client, views: dict[str, View], rng: random.Random) -> dict[str, Any]:
    """Open a page from a shared link: a path and a query string of URL filters."""
    path = rng.choice(list(views))
    view = views[path]
    view.props[("_pages_location", "pathname")] = path
    view.props[("_pages_location", "search")] = url_query(view, rng)
    return client.request(client.router, view, ("_pages_location", "pathname"))


def _clickable(view: View, key: str) -> bool:
    """A button a user can press: not disabled (a chart's CSV button is disabled while it has no data)."""
    return not view.props.get((key, "disabled"))


def _change_input(callback: Callback, view: View, rng: random.Random
                  ) -> tuple[tuple[str, str], dict[str, Any] | None] | None:
    """Change one of the callback's inputs on `view` as a user would; ((component, property), MATCH value)."""
    order = list(range(len(callback.inputs)))
    rng.shuffle(order)
    for index in order:
        pattern, prop = callback.inputs[index]
        keys = [k for k in view.find(pattern) if prop not in ("n_clicks",) or _clickable(view, k)]
        if not keys:
            continue
        key = rng.choice(keys)
        component = view.components[key]
        match = None
        if wildcard(pattern) == "MATCH":
            match = {k: v for k, v in component["props"]["id"].items() if isinstance(pattern[k], list)}
            if not _state_present(callback, view, match):
                continue
        before = view.props.get((key, prop))
        view.props[(key, prop)] = new_value(component, before, prop, rng)
        if prop == "getRowsRequest" and _restarted(before, view.props[(key, prop)]):
            _change_page_filter(view, rng)
        return (key, prop), match
    return None


def _restarted(before: Any, after: Any) -> bool:
    """A block-fed grid asking again from the top with the same sort and filters: a page filter changed."""
    return (isinstance(before, dict) and after["startRow"] == 0 and after["sortModel"] == before["sortModel"]
            and after["filterModel"] == before["filterModel"])


def _change_page_filter(view: View, rng: random.Random) -> None:
    """The page filter change that made the grid start again: one of the page's controls given a new value (the
    grid's callback reads them as state, so the next blocks come from another selection)."""
    controls = list(view.filters().values())
    if controls:
        key = rng.choice(controls)
        view.props[(key, "value")] = new_value(view.components[key], view.props.get((key, "value")), "value", rng)


def _state_present(callback: Callback, view: View, match: dict[str, Any]) -> bool:
    """For a MATCH callback: the matched state holds data (a CSV payload), as when a user can click."""
    for pattern, prop in callback.state:
        concrete = {k: (match[k] if isinstance(v, list) else v) for k, v in pattern.items()}
        keys = [k for k in view.find(concrete)]
        if not keys or view.props.get((keys[0], prop)) in (None, [], {}):
            return False
    return True


class Session:
    """One app's seeded session: its pages as a browser holds them, and its measured calls per callback."""

    def __init__(self, url: str, seed: int) -> None:
        self.client = Client(url, seed)
        self.rng = random.Random(seed)
        self.views = {path: open_page(self.client, path) for path in self.client.paths}
        self.results = {c.output: Timings("echo (baseline)" if _is_echo(c) else c.label())
                        for c in self.client.callbacks}
        self.results[ROUTE] = Timings(ROUTE_LABEL)
        self.by_output = {c.output: c for c in self.client.callbacks}

    def download(self) -> None:
        """A click on the Data page's CSV link: a GET of the URL it holds, timed until the whole file arrived."""
        path = next((p for p in map(download_path, self.views.values()) if p), None)
        if path is None:
            raise RuntimeError("no page has the CSV link download-csv")
        start = time.perf_counter()
        response = self.client.session.get(self.client.url + path, timeout=120)
        content = response.content
        self.results[ROUTE].record(time.perf_counter() - start, response.status_code, content, {"get": path})
        if response.status_code != 200:
            raise RuntimeError(f"{ROUTE} answered {response.status_code} for {path}: {content[:300]!r}")

    def step(self, output: str) -> None:
        """One user action that fires the callback writing `output` (or downloads the Data CSV), timed."""
        if output == ROUTE:
            self.download()
            return
        callback = self.by_output[output]
        action = _action(self.client, callback, self.views, self.rng)
        if action is None:
            raise RuntimeError(f"no page lets a user fire the callback {callback.output}")
        body, view = action
        seconds, status, content = self.client.post(body)
        timings = self.results[callback.output]
        page = str(body["inputs"][0]["value"]) if callback is self.client.router else ""
        timings.record(seconds, status, content, body, page)
        if status >= 400:
            raise RuntimeError(f"{timings.label} answered {status}: {content[:300]!r}")
        if view is not None:
            self.client.apply(view, content)


def run(urls: list[str], calls: int = CALLS, seed: int = 5) -> list[dict[str, Timings]]:
    """Every server callback of each app, `calls` user actions each, in one seeded shuffled session per app (the
    echo among them, so each call sees the state the others leave). The apps take turns call by call, so noise
    on the machine falls on all of them alike and their ratios compare like with like. Raises if a callback
    cannot be exercised."""
    sessions = [Session(url, seed) for url in urls]
    outputs = [c.output for c in sessions[0].client.callbacks]
    if any(sorted(s.by_output) != sorted(outputs) for s in sessions):
        raise RuntimeError("the apps do not have the same callbacks")
    schedule = [o for o in outputs + [ROUTE] for _ in range(calls)]
    random.Random(seed).shuffle(schedule)
    for output in schedule:
        for session in sessions:
            session.step(output)
    return [s.results for s in sessions]


def summary(results: dict[str, Timings]) -> dict[str, Any]:
    """Per callback (and the CSV route) p50/p95 and the ratio of its p95 to the echo callback's."""
    echo = next(t for t in results.values() if t.label == "echo (baseline)")
    echo_p95 = echo.summary()["p95_ms"]
    out = {}
    for output, timings in results.items():
        figures = timings.summary()
        figures["vs_echo_p95"] = round(figures["p95_ms"] / echo_p95, 2) if echo_p95 else None
        out[timings.label] = figures | {"output": output}
    return out


if __name__ == "__main__":
    import sys

    outcome = run([sys.argv[1]], int(sys.argv[2]) if len(sys.argv) > 2 else CALLS)[0]
    for label, figures in summary(outcome).items():
        print(f"{label[:70]:70} p50 {figures['p50_ms']:8.1f}  p95 {figures['p95_ms']:8.1f}  "
              f"x echo {figures['vs_echo_p95']:6.1f}  {figures['mean_kb']:8.1f} kB  err {figures['errors']}")
