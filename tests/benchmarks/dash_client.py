"""A small Dash client: discovers the app's callbacks and builds the requests a browser sends when a user acts.

Everything comes from the running app: /_dash-dependencies for the callbacks, the page router for each page's
layout (its real controls: slider ranges, radio and dropdown options, URL filter keys), and the callbacks' own
answers for the state later callbacks read (a chart's CSV payload, the Data grid's row count). A callback this client
cannot build a request for is an error, so a new callback is never silently left out of the benchmark.
"""
from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from typing import Any, Iterator
from urllib.parse import urlencode

import requests

ROUTER_OUTPUT = "_pages_content"
DOWNLOAD_LINK = "download-csv"  # the Data page's CSV link: a GET route, not a callback
GRID_STATE = "bench_grid"  # what a block-fed grid knows of its rows, kept beside its layout entry
WILDCARDS = ("ALL", "MATCH", "ALLSMALLER")


def id_key(component_id: Any) -> str:
    """Dash's string form of a component id (dict ids: sorted keys, compact JSON)."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return str(component_id)


def parse_id(text: str) -> Any:
    return json.loads(text) if text.startswith("{") else text


def _split(spec: str) -> tuple[str, str]:
    name, prop = spec.rsplit(".", 1)
    return name, prop


def wildcard(pattern: Any) -> str | None:
    """'ALL' / 'MATCH' if a dependency id is a pattern, else None."""
    if isinstance(pattern, dict):
        for value in pattern.values():
            if isinstance(value, list) and value and value[0] in WILDCARDS:
                return str(value[0])
    return None


def matches(pattern: Any, component_id: Any) -> bool:
    if not isinstance(pattern, dict):
        return pattern == component_id
    if not isinstance(component_id, dict) or set(pattern) != set(component_id):
        return False
    return all(isinstance(v, list) and v and v[0] in WILDCARDS or component_id[k] == v for k, v in pattern.items())


@dataclass
class Callback:
    """One server-side callback as /_dash-dependencies describes it."""

    output: str
    outputs: list[tuple[Any, str]]
    inputs: list[tuple[Any, str]]
    state: list[tuple[Any, str]]
    initial: bool

    @classmethod
    def from_dependency(cls, dep: dict[str, Any]) -> "Callback":
        out = dep["output"]
        specs = out[2:-2].split("...") if out.startswith("..") else [out]
        outputs = [(parse_id(n), p) for n, p in map(_split, specs)]
        return cls(out, outputs, [(parse_id(i["id"]), i["property"]) for i in dep["inputs"]],
                   [(parse_id(s["id"]), s["property"]) for s in dep["state"]], not dep["prevent_initial_call"])

    @property
    def multi(self) -> bool:
        return self.output.startswith("..")

    def label(self) -> str:
        """A readable name: the ids it writes ('chart' ids by chart name), wildcards marked."""
        names: list[str] = []
        for component_id, _prop in self.outputs:
            if isinstance(component_id, dict):
                name = str(component_id.get("chart", component_id.get("type")))
                name = name if not isinstance(component_id.get("chart"), list) else f"{component_id['type']}[MATCH]"
                name = name if not isinstance(component_id.get("index"), list) else f"{component_id['type']}[ALL]"
            else:
                name = str(component_id)
            if name not in names:
                names.append(name)
        return ", ".join(names)


@dataclass
class View:
    """What a browser holds on one page: its components (shell and page) and their current property values."""

    path: str
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    props: dict[tuple[str, str], Any] = field(default_factory=dict)

    def add(self, tree: Any) -> None:
        for component in walk(tree):
            key = id_key(component["props"]["id"])
            self.components[key] = component
            for prop, value in component["props"].items():
                if prop != "children" or not isinstance(value, (dict, list)):
                    self.props[(key, prop)] = value

    def find(self, pattern: Any) -> list[str]:
        """Keys of the components a dependency id names (all matches for a pattern)."""
        if wildcard(pattern) is None:
            key = id_key(pattern)
            return [key] if key in self.components else []
        return [k for k, c in self.components.items() if matches(pattern, c["props"]["id"])]

    def filters(self) -> dict[str, str]:
        """URL key -> component key of the page's filter controls ({"type": "filter", "key": K})."""
        return {c["props"]["id"]["key"]: k for k, c in self.components.items()
                if isinstance(c["props"]["id"], dict) and c["props"]["id"].get("type") == "filter"}


def walk(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component with an id in a serialised layout."""
    if isinstance(tree, list):
        for item in tree:
            yield from walk(item)
    elif isinstance(tree, dict) and "props" in tree and "type" in tree:
        if "id" in tree["props"]:
            yield tree
        for value in tree["props"].values():
            if isinstance(value, (dict, list)):
                yield from walk(value)


class Client:
    """HTTP to one running app, over one keep-alive connection."""

    def __init__(self, url: str, seed: int = 5) -> None:
        self.url = url
        self.session = requests.Session()
        self.random = random.Random(seed)
        deps = self.session.get(f"{url}/_dash-dependencies", timeout=60).json()
        self.callbacks = [Callback.from_dependency(d) for d in deps if not d.get("clientside_function")]
        self.router = next(c for c in self.callbacks if c.outputs[0][0] == ROUTER_OUTPUT)
        self.shell = self.session.get(f"{url}/_dash-layout", timeout=60).json()
        self.paths = [c["props"]["href"] for c in walk_all(self.shell) if c["type"] == "NavLink"]

    def post(self, body: dict[str, Any]) -> tuple[float, int, bytes]:
        """Send one callback request: (seconds until the whole answer arrived, HTTP status, body)."""
        start = time.perf_counter()
        response = self.session.post(f"{self.url}/_dash-update-component", json=body, timeout=120)
        content = response.content
        return time.perf_counter() - start, response.status_code, content

    def view(self, path: str, search: str = "") -> View:
        """A page as the browser holds it after navigating there: the shell plus the router's answer."""
        view = View(path)
        view.add(self.shell)
        view.props[("_pages_location", "pathname")] = path
        view.props[("_pages_location", "search")] = search
        body = self.request(self.router, view, changed=("_pages_location", "pathname"))
        _seconds, status, content = self.post(body)
        if status != 200:
            raise RuntimeError(f"the page router answered {status} for {path}{search}")
        view.add(json.loads(content)["response"][ROUTER_OUTPUT]["children"])
        return view

    # --- requests ----------------------------------------------------------------------------------------

    def request(self, callback: Callback, view: View, changed: tuple[str, str] | None = None,
                match: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON body of a call from the view's current values; `changed` is the (component, property) a user
        changed, `match` the value of a MATCH wildcard."""
        def entries(deps: list[tuple[Any, str]], with_value: bool) -> list[Any]:
            out = []
            for pattern, prop in deps:
                keys = view.find(_with_match(pattern, match))
                if not keys:
                    raise LookupError(f"{id_key(pattern)} is not on {view.path}")
                items = [{"id": view.components[k]["props"]["id"], "property": prop}
                         | ({"value": view.props.get((k, prop))} if with_value else {}) for k in keys]
                out.append(items if wildcard(pattern) == "ALL" else items[0])
            return out

        outputs = entries(callback.outputs, False)
        return {"output": callback.output, "outputs": outputs if callback.multi else outputs[0],
                "inputs": entries(callback.inputs, True), "state": entries(callback.state, True),
                "changedPropIds": [f"{changed[0]}.{changed[1]}"] if changed else []}

    def resolves(self, callback: Callback, view: View) -> bool:
        """Whether every id the callback names is on the page (a pattern: at least one match)."""
        return all(view.find(p) for p, _prop in callback.inputs + callback.state + callback.outputs)

    def apply(self, view: View, content: bytes) -> None:
        """Store a callback's answer in the view, as the browser would (a client-side grid mirrors rowData; a grid
        fed in blocks learns its row count, or that more rows follow)."""
        if not content:
            return
        for key, props in json.loads(content).get("response", {}).items():
            for prop, value in props.items():
                view.props[(key, prop)] = value
                if prop == "rowData":
                    view.props[(key, "virtualRowData")] = value
                if prop == "getRowsResponse" and isinstance(value, dict) and key in view.components:
                    view.components[key][GRID_STATE] = {"rowCount": value.get("rowCount")}


def _with_match(pattern: Any, match: dict[str, Any] | None) -> Any:
    if match is None or not isinstance(pattern, dict):
        return pattern
    return {k: (match.get(k, v) if isinstance(v, list) and v and v[0] == "MATCH" else v) for k, v in pattern.items()}


def walk_all(tree: Any) -> Iterator[dict[str, Any]]:
    """Every component of a serialised layout, with or without an id."""
    if isinstance(tree, list):
        for item in tree:
            yield from walk_all(item)
    elif isinstance(tree, dict) and "props" in tree and "type" in tree:
        yield tree
        for value in tree["props"].values():
            if isinstance(value, (dict, list)):
                yield from walk_all(value)


# --- what a user changes ------------------------------------------------------------------------------------

def new_value(component: dict[str, Any], current: Any, prop: str, rng: random.Random) -> Any:
    """The next value a user gives a control: a slider handle moved, another option picked, one more click."""
    props = component["props"]
    if prop in ("n_clicks", "n_intervals"):
        return (current or 0) + 1
    if prop == "getRowsRequest":
        return grid_request(component, current, rng)
    kind = component["type"]
    if kind == "RangeSlider":
        low, high = list(current or [props["min"], props["max"]])
        if rng.random() < 0.5:
            low = min(max(props["min"], low + rng.choice((-3, -2, -1, 1, 2, 3))), high)
        else:
            high = max(min(props["max"], high + rng.choice((-3, -2, -1, 1, 2, 3))), low)
        return [low, high]
    if kind in ("RadioItems", "Dropdown"):
        values = [o["value"] if isinstance(o, dict) else o for o in props.get("options", [])]
        if kind == "Dropdown" and props.get("clearable", True):
            values.append(None)
        others = [v for v in values if v != current] or values
        return rng.choice(others)
    raise LookupError(f"no user action known for {kind}.{prop}")


def grid_request(component: dict[str, Any], current: Any, rng: random.Random) -> dict[str, Any]:
    """The block request a grid fed in blocks (AG Grid's infinite row model) sends next, as the browser sends it:
    the first block when the page opens or a page filter changes (the sort and column filters stay), the next block
    as the user scrolls, the first block again after a click on a column header or a column filter typed."""
    props = component["props"]
    size = int((props.get("dashGridOptions") or {}).get("cacheBlockSize") or 100)
    previous = current if isinstance(current, dict) else None
    sort = list(previous["sortModel"]) if previous else []
    model = dict(previous["filterModel"]) if previous else {}
    start, roll = 0, rng.random()
    count = component.get(GRID_STATE, {}).get("rowCount")
    if previous is None or roll < 0.25:
        pass  # the page opened, or a page filter changed and the grid asks again from the top
    elif roll < 0.65:
        start = previous["startRow"] + size  # scrolled to the next block
        start = 0 if count is not None and start >= count else start
    elif roll < 0.9:
        sort = _header_click(props["columnDefs"], sort, rng)
    else:
        model = _column_filter(props["columnDefs"], rng)
    return {"startRow": start, "endRow": start + size, "sortModel": sort, "filterModel": model, "api": {}}


def _header_click(columns: list[dict[str, Any]], sort: list[dict[str, Any]], rng: random.Random
                  ) -> list[dict[str, Any]]:
    """A click on a sortable column's header: ascending, then descending, then unsorted."""
    column = rng.choice([c["field"] for c in columns if c.get("sortable", True)])
    now = next((s["sort"] for s in sort if s["colId"] == column), None)
    after = {None: "asc", "asc": "desc", "desc": None}[now]
    return [{"colId": column, "sort": after}] if after else []


def _column_filter(columns: list[dict[str, Any]], rng: random.Random) -> dict[str, Any]:
    """A column filter a user sets: a code prefix, a value threshold, only missing weights, or none (cleared)."""
    fields = {c["field"] for c in columns if c.get("filter", True)}
    choices: list[dict[str, Any]] = [{}]
    if "hs_code" in fields:
        choices.append({"hs_code": {"filterType": "text", "type": "startsWith", "filter": rng.choice(("84", "85"))}})
    if "value_usd" in fields:
        choices.append({"value_usd": {"filterType": "number", "type": "greaterThanOrEqual", "filter": 1e6}})
    if "net_weight_kg" in fields:
        choices.append({"net_weight_kg": {"filterType": "number", "type": "blank"}})
    return rng.choice(choices)


def url_query(view: View, rng: random.Random) -> str:
    """A query string of URL filters (a shared or bookmarked view) from a page's own controls' values."""
    pairs: list[tuple[str, Any]] = []
    for key, component_key in view.filters().items():
        if rng.random() < 0.5:
            continue
        value = new_value(view.components[component_key], view.props.get((component_key, "value")), "value", rng)
        if key == "years":
            pairs += [("from", value[0]), ("to", value[1])]
        elif value is not None:
            pairs.append((key, value))
    return "?" + urlencode(pairs) if pairs else ""


def download_path(view: View) -> str | None:
    """The path and query the Data page's CSV link holds on `view`, as its clientside callback writes it: the page
    filters' current values and the grid's last request's sort and filter models. None if the page has no link."""
    link = view.components.get(DOWNLOAD_LINK)
    if link is None:
        return None
    pairs: list[tuple[str, Any]] = []
    for key, component_key in view.filters().items():
        value = view.props.get((component_key, "value"))
        if key == "years" and isinstance(value, list) and len(value) == 2:
            pairs += [("from", value[0]), ("to", value[1])]
        elif key != "years" and value not in (None, ""):
            pairs.append((key, value))
    grid = next((k for k, c in view.components.items() if c["props"].get("rowModelType") == "infinite"), None)
    request = view.props.get((grid, "getRowsRequest")) if grid else None
    if isinstance(request, dict):
        sort = [{"colId": s["colId"], "sort": s["sort"]} for s in request.get("sortModel") or []]
        model = {c: {k: spec[k] for k in ("type", "filter", "filterTo") if k in spec}
                 for c, spec in (request.get("filterModel") or {}).items()}
        if sort or model:
            pairs.append(("view", json.dumps({"sortModel": sort, "filterModel": model}, separators=(",", ":"))))
    return str(link["props"]["href"]).split("?")[0] + "?" + urlencode(pairs)
