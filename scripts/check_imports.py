"""Check that the platform's imports follow the data flow: no import runs upward, and no module cycle.

Usage: python scripts/check_imports.py   (exit 1 and a list of offending imports; `make test` runs it)

Layers, upstream first. A module may import from its own layer and from layers before it, never after:
    core -> ingest -> restricted -> warehouse -> onboarding -> quality -> publish -> analysis -> serve
         -> dashboards -> orchestration
Every import counts, including those inside functions. Cycles are checked between modules (files).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = [
    "core", "ingest", "restricted", "warehouse", "onboarding", "quality", "publish", "analysis", "serve",
    "dashboards", "orchestration",
]  # fmt: skip


def modules() -> dict[str, Path]:
    out = {}
    for layer in LAYERS:
        for p in (ROOT / layer).rglob("*.py") if (ROOT / layer).is_dir() else []:
            name = ".".join(p.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            out[name] = p
    return out


def imports_of(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1] + ([base] if base else []))
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for t in targets:
            while t and t not in known:
                t = t.rpartition(".")[0]
            if t and t != name:
                found.add(t)
    return found


def main() -> int:
    known = modules()
    graph = {m: imports_of(p, m, known) for m, p in known.items()}
    problems = []
    for m, deps in sorted(graph.items()):
        here = LAYERS.index(m.split(".")[0])
        for d in sorted(deps):
            there = LAYERS.index(d.split(".")[0])
            if there > here:
                problems.append(f"upward import: {m} ({LAYERS[here]}) imports {d} ({LAYERS[there]})")
    # cycles (Tarjan's strongly connected components)
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            strong(v)
    problems += [f"import cycle: {' <-> '.join(c)}" for c in sccs]
    edges = sum(len(d) for d in graph.values())
    print(f"{len(graph)} modules, {edges} imports between them, layers: {' -> '.join(LAYERS)}")
    for p in problems:
        print(p)
    print("OK: no upward import, no cycle" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
