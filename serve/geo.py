"""The geography the API answers from: levels, areas, and how areas relate (parents, children, siblings).

Belongs here: the level catalogue (LAD, CTYUA, CA, RGN, CTRY, ITL1-3, PFA, as `indicators_harmonised.area_level`
uses them, with the ONS Explore Local Statistics keys `ltla`, `utla`, `cauth`, `rgn`, `ctry`, `itl1`...), and the
`Areas` model built once per release from its `geography` mart (one row per April 2025 LAD with every area it
belongs to). Every standard area is a set of LADs, so relations are set relations: B is a parent of A when A's
LADs all lie in B and B is a coarser level (or the same level and strictly larger: UK > England). Codes the
data carries that are not standard areas (kept at their source geography, small areas) are known by name and
level only, and have no relations.
"""

from __future__ import annotations

from dataclasses import dataclass

from serve.catalogue import known_codes
from serve.problems import Problem
from serve.snapshot import Snapshot

# code, ONS key, label, rank (coarse -> fine; a parent has a smaller rank)
LEVELS = [
    ("CTRY", "ctry", "Countries and nations (UK, GB, England and Wales, the four nations)", 0),
    ("RGN", "rgn", "Regions of England", 1),
    ("ITL1", "itl1", "ITL1 (International Territorial Level 1, 2025)", 1),
    ("ITL2", "itl2", "ITL2 (2025)", 2),
    ("CA", "cauth", "Combined authorities (and the Greater London Authority)", 3),
    ("PFA", "pfa", "Police force areas", 3),
    ("ITL3", "itl3", "ITL3 (2025)", 4),
    ("CTYUA", "utla", "Counties and unitary authorities (upper tier)", 5),
    ("LAD", "ltla", "Local authority districts (lower tier, April 2025)", 6),
]
RANK = {code: rank for code, _, _, rank in LEVELS}
ALIASES = {key: code for code, key, _, _ in LEVELS} | {code.lower(): code for code, _, _, _ in LEVELS}
ALIASES |= {"small_area": "SMALL_AREA", "cauth_or_gla": "CA", "lad": "LAD", "ctyua": "CTYUA"}
LABELS = {code: label for code, _, label, _ in LEVELS} | {
    "SMALL_AREA": "Small areas (LSOA, data zone, NI SOA): kept at their source geography"
}
UK_AGGREGATES = {
    "K02000001": ("United Kingdom", ("E92000001", "W92000004", "S92000003", "N92000002")),
    "K03000001": ("Great Britain", ("E92000001", "W92000004", "S92000003")),
    "K04000001": ("England and Wales", ("E92000001", "W92000004")),
}
# the level a code's children are at by default, tried in order (the first that has any wins)
CHILD_LEVELS = {
    "CTRY": ("CTRY", "RGN", "LAD"),
    "RGN": ("CTYUA",),
    "ITL1": ("ITL2",),
    "ITL2": ("ITL3",),
    "ITL3": ("LAD",),
    "CA": ("LAD",),
    "PFA": ("LAD",),
    "CTYUA": ("LAD",),
    "LAD": (),
}
# the level whose members are an area's siblings by default
SIBLING_PARENT = {"LAD": "RGN", "CTYUA": "RGN", "CA": "RGN", "RGN": "CTRY", "CTRY": "CTRY", "PFA": "CTRY"}
SIBLING_PARENT |= {"ITL3": "ITL2", "ITL2": "ITL1", "ITL1": "CTRY"}

_GEO_COLUMNS = {
    "CTYUA": ("ctyua_code", "ctyua_name"),
    "CA": ("cauth_or_gla_code", "cauth_or_gla_name"),
    "RGN": ("region_code", "region_name"),
    "CTRY": ("country_code", "country_name"),
    "ITL1": ("itl1_code", "itl1_name"),
    "ITL2": ("itl2_code", "itl2_name"),
    "ITL3": ("itl3_code", "itl3_name"),
    "PFA": ("pfa_code", "pfa_name"),
}


def level_code(value: str) -> str | None:
    """`LAD`, `ltla`, `lad` ... -> `LAD`; None when it is no level."""
    v = value.strip()
    return v.upper() if v.upper() in RANK or v.upper() == "SMALL_AREA" else ALIASES.get(v.lower())


@dataclass(frozen=True)
class Area:
    code: str
    name: str | None
    level: str
    lads: frozenset[str]

    @property
    def rank(self) -> int:
        return RANK.get(self.level, 9)

    def as_dict(self, **extra) -> dict:
        return {
            "areacd": self.code,
            "areanm": self.name,
            "geoLevel": self.level,
            "lads": len(self.lads),
            **extra,
        }


class Areas:
    """The standard areas of one release, keyed by (level, code)."""

    def __init__(self, areas: list[Area], extra: dict[str, tuple[str | None, str | None]]):
        self.by_key = {(a.level, a.code): a for a in areas}
        self.by_code: dict[str, list[Area]] = {}
        for a in sorted(areas, key=lambda a: -a.rank):  # finest level first
            self.by_code.setdefault(a.code, []).append(a)
        self.extra = {c: v for c, v in extra.items() if c not in self.by_code}
        self.by_level: dict[str, list[Area]] = {}
        for a in sorted(areas, key=lambda a: a.code):
            self.by_level.setdefault(a.level, []).append(a)

    def get(self, code: str, level: str | None = None) -> Area | None:
        found = self.by_code.get(code.upper())
        if not found:
            return None
        if level is None:
            return found[0]
        return next((a for a in found if a.level == level), None)

    def require(self, code: str, release: str) -> Area:
        area = self.get(code)
        if area is not None:
            return area
        if code.upper() in self.extra:
            name, level = self.extra[code.upper()]
            raise Problem(
                404,
                "not-found",
                f"{code} ({name}, {level or 'source geography'}) is in the data at its source geography only: "
                "it has no parents, children or siblings in the April 2025 geography",
                release=release,
            )
        raise Problem(
            404,
            "unknown-code",
            f"area code {code!r} is not in release {release}: try /api/v1/geo/search/{{name}}",
            release=release,
            unknown=[code],
        )

    def parents(self, area: Area) -> list[Area]:
        out = [
            b
            for b in self._all()
            if b.code != area.code
            and area.lads <= b.lads
            and (b.rank < area.rank or (b.level == area.level and len(b.lads) > len(area.lads)))
        ]
        return sorted(out, key=lambda b: (b.rank, -len(b.lads), b.level, b.code))

    def children(self, area: Area, level: str | None = None) -> tuple[str | None, list[Area]]:
        levels = (level,) if level else CHILD_LEVELS.get(area.level, ())
        for lv in levels:
            found = [
                b
                for b in self.by_level.get(lv, [])
                if b.code != area.code
                and b.lads <= area.lads
                and (b.rank > area.rank or (b.level == area.level and len(b.lads) < len(area.lads)))
            ]
            if found or level:
                return lv, found
        return (levels[-1] if levels else None), []

    def siblings(self, area: Area, parent_level: str | None = None) -> tuple[str, list[Area]]:
        """Areas at the same level that share the area's (smallest) parent at `parent_level`."""
        plevel = parent_level or SIBLING_PARENT.get(area.level, "CTRY")
        if parent_level is None and plevel == "RGN" and not self._in_england(area):
            plevel = "CTRY"  # regions exist in England only: Welsh, Scottish and NI areas group by nation
        parents = [p for p in self.parents(area) if p.level == plevel]
        if parent_level is None and area.level == "CTRY":
            parents = [p for p in parents if p.code == "K02000001"]  # nations are siblings within the UK
        if parents:
            smallest = min(len(p.lads) for p in parents)
            parents = [p for p in parents if len(p.lads) == smallest]
        members: dict[str, Area] = {}
        for p in parents:
            for b in self.by_level.get(area.level, []):
                if b.code != area.code and b.lads <= p.lads and b.code not in UK_AGGREGATES:
                    members[b.code] = b
        return plevel, sorted(members.values(), key=lambda b: b.code)

    def search(self, text: str, level: str | None = None, limit: int = 20) -> list[dict]:
        q = text.strip().lower()
        scored = []
        seen = set()
        for a in self._all():
            if level and a.level != level:
                continue
            name = (a.name or "").lower()
            score = _score(q, name, a.code.lower())
            if score is not None and (a.code, a.level) not in seen:
                seen.add((a.code, a.level))
                scored.append((score, a.rank, a.name or "", a.code, a.as_dict()))
        for code, (name, lv) in self.extra.items():
            if level and lv != level:
                continue
            score = _score(q, (name or "").lower(), code.lower())
            if score is not None:
                scored.append(
                    (
                        score + 10,
                        9,
                        name or "",
                        code,
                        {"areacd": code, "areanm": name, "geoLevel": lv, "lads": 0},
                    )
                )
        scored.sort(key=lambda t: t[:4])
        return [t[4] for t in scored[:limit]]

    def _all(self):
        return self.by_key.values()

    def _in_england(self, area: Area) -> bool:
        eng = self.get("E92000001", "CTRY")
        return bool(eng and area.lads <= eng.lads)


def _score(q: str, name: str, code: str) -> int | None:
    if not q:
        return None
    if name == q or code == q:
        return 0
    if name.startswith(q):
        return 1
    if any(w.startswith(q) for w in name.replace("-", " ").split()):
        return 2
    if q in name:
        return 3
    return None


def _compute_areas(snap: Snapshot) -> Areas:
    extra = known_codes(snap)
    if not snap.has("geography"):
        return Areas([], extra)
    cols = snap.columns("geography")
    rows = [dict(zip(cols, r, strict=True)) for r in snap.sql("select * from geography order by lad_code")]
    members: dict[tuple[str, str], set[str]] = {}
    names: dict[tuple[str, str], str | None] = {}
    for r in rows:
        lad = r["lad_code"]
        members.setdefault(("LAD", lad), set()).add(lad)
        names[("LAD", lad)] = r.get("lad_name")
        for level, (ccol, ncol) in _GEO_COLUMNS.items():
            codes, labels = r.get(ccol), r.get(ncol)
            if not codes:
                continue
            code_list = str(codes).split(";")
            name_list = str(labels).split(";") if labels else []
            if len(name_list) != len(code_list):
                name_list = [labels] * len(code_list)
            for code, name in zip(code_list, name_list, strict=True):
                members.setdefault((level, code.strip()), set()).add(lad)
                names.setdefault((level, code.strip()), name.strip() if isinstance(name, str) else name)
    for code, (name, nations) in UK_AGGREGATES.items():
        lads = set().union(*(members.get(("CTRY", n), set()) for n in nations))
        if lads:
            members[("CTRY", code)] = lads
            names[("CTRY", code)] = (extra.get(code) or (None,))[0] or name
    areas = [Area(code, names.get((lv, code)), lv, frozenset(lads)) for (lv, code), lads in members.items()]
    return Areas(areas, extra)


def areas(snap: Snapshot) -> Areas:
    return snap.fact("areas", _compute_areas)


def levels(snap: Snapshot) -> list[dict]:
    a = areas(snap)
    data_levels: dict[str, int] = {}
    if snap.has("indicators_harmonised"):
        data_levels = dict(
            snap.sql("select area_level, count(distinct area_code) from indicators_harmonised group by 1")
        )
    out = []
    for code, key, label, rank in LEVELS:
        members = a.by_level.get(code, [])
        out.append(
            {
                "geoLevel": code,
                "key": key,
                "label": label,
                "rank": rank,
                "areas": len(members),
                "areas_with_data": data_levels.get(code, 0),
                "code_prefixes": sorted({m.code[:3] for m in members}),
            }
        )
    if "SMALL_AREA" in data_levels:
        out.append(
            {
                "geoLevel": "SMALL_AREA",
                "key": "small_area",
                "label": LABELS["SMALL_AREA"],
                "rank": 7,
                "areas": 0,
                "areas_with_data": data_levels["SMALL_AREA"],
                "code_prefixes": [],
            }
        )
    return out
