"""The shape of the ``promptcraft`` package: imports against the layers, cycles between
packages, top-level modules, lines in the wheel, public names and ``import promptcraft`` time.

The layers, lowest first (a package may import only from lower layers, or from itself):

    core: errors, types, coerce, utils (and any other top-level module)
    tokenizers < constraints < prompts = nn < structured < backends
    < agents = evaluation = tuning < server < cli

``__init__`` and ``__main__`` at the top are the public façade and the entry point, above
everything; ``curriculum`` (pc-tiny's recipe while it was in the package) sits above ``cli``.
Every import counts: at module level, inside functions and under ``TYPE_CHECKING`` alike,
since each is a dependency of the design. A cycle is a set of packages that reach each other
through imports (a strongly connected component of more than one package).

    python benchmarks/architecture.py                  # this checkout
    python benchmarks/architecture.py --tree /tmp/old  # another checkout (e.g. a git worktree)
    python benchmarks/architecture.py --before REV     # and a side-by-side with git revision REV
    python benchmarks/architecture.py --check          # exit 1 on any upward import or cycle

``--check`` is what ``tests/test_layers.py`` runs, so the suite keeps the layers as they are.
"""

from __future__ import annotations

import argparse
import ast
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

RANKS = {
    "core": 0,
    "tokenizers": 1,
    "constraints": 2,
    "prompts": 3,
    "nn": 3,
    "structured": 4,
    "backends": 5,
    "agents": 6,
    "evaluation": 6,
    "tuning": 6,
    "server": 7,
    "cli": 8,
    "curriculum": 9,
    "__init__": 10,
    "__main__": 10,
}
CORE_PACKAGES = {"utils"}
REPO = Path(__file__).resolve().parent.parent


def unit_of(module: str, packages: set[str]) -> str:
    """The package a ``promptcraft.x.y`` module belongs to, ``core`` for the base modules."""
    parts = module.split(".")
    if len(parts) == 1:
        return "__init__"
    head = parts[1]
    if head in ("__init__", "__main__"):
        return head
    if head in packages and head not in CORE_PACKAGES:
        return head
    return "core"


def imports(tree: Path) -> list[tuple[str, str, str]]:
    """Every ``(importer unit, imported unit, file)`` between different units."""
    root = tree / "promptcraft"
    packages = {p.name for p in root.iterdir() if (p / "__init__.py").exists()}
    found = []
    for path in sorted([*root.rglob("*.py"), *root.rglob("*.pyi")]):
        parts = list(path.relative_to(tree).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        source = unit_of(module if not is_package or len(parts) > 2 else "promptcraft", packages)
        if path.stem == "__main__" and len(parts) == 2:
            source = "__main__"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = module.split(".") if is_package else module.split(".")[:-1]
                    base = base[: len(base) - (node.level - 1)]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                targets = [target] if node.module else [f"{target}.{a.name}" for a in node.names]
            for target in targets:
                if target == "promptcraft" or target.startswith("promptcraft."):
                    unit = unit_of(target, packages)
                    if unit != source:
                        found.append((source, unit, str(path.relative_to(tree))))
    return found


def cycles(edges: set[tuple[str, str]]) -> list[list[str]]:
    """The strongly connected components of more than one unit (Tarjan)."""
    graph: dict[str, set[str]] = defaultdict(set)
    for a, b in edges:
        graph[a].add(b)
        graph.setdefault(b, set())
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return components


def measure(tree: Path) -> dict[str, object]:
    found = imports(tree)
    upward = sorted({(a, b, f) for a, b, f in found if RANKS[b] >= RANKS[a]})
    edges = {(a, b) for a, b, _ in found}
    root = tree / "promptcraft"
    top_modules = sorted(p.name for p in root.glob("*.py"))
    lines = sum(len(p.read_text(encoding="utf-8").splitlines()) for p in root.rglob("*.py"))
    modules = len(list(root.rglob("*.py")))
    probe = (
        "import sys, time; t = time.perf_counter(); import promptcraft as pc; "
        "dt = time.perf_counter() - t; "
        "print(len(pc.__all__), round(dt * 1000, 1), 'torch' in sys.modules, "
        "sorted(n for n in ('TYPE_CHECKING', 'annotations') if hasattr(pc, n)))"
    )
    times = []
    for _ in range(5):
        out = subprocess.run(
            [sys.executable, "-c", probe], cwd=tree, capture_output=True, text=True, check=True
        ).stdout.split(maxsplit=3)
        times.append(float(out[1]))
    return {
        "upward": upward,
        "cycles": cycles(edges),
        "top_modules": top_modules,
        "lines": lines,
        "modules": modules,
        "public_names": int(out[0]),
        "import_ms": sorted(times)[len(times) // 2],
        "torch": out[2] == "True",
        "leaks": out[3].strip(),
    }


def report(name: str, m: dict[str, object]) -> str:
    upward = m["upward"]
    assert isinstance(upward, list)
    pairs = sorted({(a, b) for a, b, _ in upward})
    rows = [
        f"## {name}",
        "",
        f"- upward or sideways imports: {len(upward)} (between {len(pairs)} package pairs)",
    ]
    rows += [
        f"  - {a} -> {b}: " + ", ".join(sorted({f for x, y, f in upward if (x, y) == (a, b)}))
        for a, b in pairs
    ]
    rows += [f"- cycles between packages: {len(m['cycles'])} {m['cycles']}"]  # type: ignore[arg-type]
    top = m["top_modules"]
    assert isinstance(top, list)
    rows += [
        f"- top-level modules: {len(top)} ({', '.join(top)})",
        f"- lines in the wheel's Python: {m['lines']} in {m['modules']} modules",
        f"- names in pc.__all__: {m['public_names']}; leaked TYPE_CHECKING/annotations: "
        f"{m['leaks']}",
        f"- import promptcraft: {m['import_ms']} ms (median of 5 runs); pulls torch: {m['torch']}",
        "",
    ]
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", type=Path, default=REPO, help="the checkout to measure")
    parser.add_argument("--before", help="a git revision to measure side by side")
    parser.add_argument(
        "--check", action="store_true", help="only list upward imports and cycles; exit 1 if any"
    )
    args = parser.parse_args()
    if args.check:
        found = imports(args.tree)
        upward = sorted({(a, b, f) for a, b, f in found if RANKS[b] >= RANKS[a]})
        loops = cycles({(a, b) for a, b, _ in found})
        for a, b, f in upward:
            print(f"upward: {a} -> {b} in {f}")
        for loop in loops:
            print(f"cycle: {' <-> '.join(loop)}")
        raise SystemExit(1 if upward or loops else 0)
    text = report(f"this checkout ({args.tree})", measure(args.tree))
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                ["git", "worktree", "add", "--detach", tmp, args.before],
                cwd=REPO,
                check=True,
                capture_output=True,
            )
            try:
                before = measure(Path(tmp))
            finally:
                subprocess.run(["git", "worktree", "remove", "--force", tmp], cwd=REPO)
        text = report(f"revision {args.before}", before) + "\n" + text
    print(text)


if __name__ == "__main__":
    main()
