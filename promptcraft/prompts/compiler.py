"""From template source to the syntax tree the environment compiles.

Four passes, all at compile time, so rendering pays for none of them:

1. **Edge trimming.** Literal whitespace at the start and end of every ``{% block %}`` body is
   dropped (see :func:`~promptcraft.prompts.messages.trim_body_edges`).
2. **Static inheritance.** A template whose only ``{% extends "literal" %}`` is at the top is
   merged with its parents into one tree: the child's blocks replace the parent's. The merged
   template still carries its blocks, so it can itself serve as a parent at render time.
   Templates that use ``super()`` or ``self``, or extend dynamically, keep Jinja's runtime
   inheritance instead; the output is the same, only slower.
3. **Block inlining** (templates a :class:`PromptTemplate` renders directly): each block body
   becomes a plain scope, so a few-shot prompt renders its example format inside the loop
   without one function call and one context per example.
4. **Guards.** Every ``for`` charges its iterations, every ``~``, every list or dict literal
   and every value stored in a namespace is size-checked, and comparisons and slices charge
   the work of reading their operands (see :mod:`.guards`).

Nodes merged from several files keep their own line numbers: a node from the n-th file of the
chain has ``n * LINE_STRIDE`` added, and :func:`decode_line` takes it apart again for errors.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from jinja2 import Environment, TemplateNotFound, nodes
from jinja2.exceptions import TemplateSyntaxError as JinjaSyntaxError
from jinja2.utils import missing
from jinja2.visitor import NodeTransformer

from ..errors import TemplateSecurityError
from ..utils.suggestions import did_you_mean
from .messages import trim_body_edges

__all__ = ["LAYOUTS", "LINE_STRIDE", "build_ast", "decode_line", "guard_ast", "wrap_body"]

LINE_STRIDE = 100_000

LAYOUTS: Mapping[str, str] = {
    "prefix": "layouts/prefix.jinja",
    "few_shot": "layouts/few_shot.jinja",
    "hybrid": "layouts/hybrid.jinja",
    "reverse": "layouts/reverse.jinja",
    "chat": "layouts/chat.jinja",
}

# Statements a child template may hold outside its blocks: they run before the layout.
_CHILD_STATEMENTS = (nodes.Assign, nodes.AssignBlock, nodes.Macro, nodes.Import, nodes.FromImport)


def wrap_body(env: Environment, body: str | None, kind: str, first_line: int = 1) -> str:
    """The Jinja source of a prompt body of a given kind.

    * a body with its own ``{% extends %}`` is used as written;
    * a body with ``{% block %}`` tags fills those blocks of the kind's layout;
    * any other body is the ``query`` block of the layout;
    * ``None`` or a blank body is the layout alone.

    A comment spanning ``first_line - 1`` lines keeps line numbers those of the file."""
    pad = "{#" + "\n" * (first_line - 1) + "#}" if first_line > 1 else ""
    extends = f'{{% extends "{LAYOUTS[kind]}" %}}'
    if body is None or not body.strip():
        return extends
    shape = body_shape(env, body)
    if shape == "extends":
        return pad + body
    if shape == "blocks":
        return pad + extends + body
    return pad + extends + "{% block query %}" + body + "{% endblock %}"


def body_shape(env: Environment, body: str) -> str:
    """``"extends"``, ``"blocks"`` or ``"plain"``, read from the token stream (so tags inside
    ``{% raw %}`` or comments do not count)."""
    shape = "plain"
    try:
        after_begin = False
        for token in env.lexer.tokenize(body):
            if after_begin and token.type == "name":
                if token.value == "extends":
                    return "extends"
                if token.value == "block":
                    shape = "blocks"
            after_begin = token.type == "block_begin"
    except JinjaSyntaxError:
        return "plain"  # the real compile reports it, at the right line
    return shape


def build_ast(
    env: Environment,
    source: str,
    name: str | None,
    filename: str | None,
    *,
    inline: bool,
    origins: MutableMapping[str, tuple[str, ...]],
    constants: Mapping[str, Mapping[str, Any]] | None = None,
) -> nodes.Template:
    """Parse ``source`` and run the compile-time passes. Records the files a merged template
    came from in ``origins[filename]``. ``constants`` maps a variable to fields that are
    fixed for this template (``layout``): ``layout.input_key`` compiles to its value."""
    tree = env._parse(source, name, filename)
    _trim_blocks(tree)
    merged = _flatten(env, tree, name, filename, (name,))
    if merged is not None:
        tree, parents = merged
        if parents:
            origins[filename or name or "<template>"] = (filename or name or "<template>", *parents)
        if inline:
            tree = _Inliner().visit(tree)
    if constants:
        tree = _FoldConstants(tree, constants).visit(tree)
    tree = _Guards(env, name, filename).visit(tree)
    tree.set_environment(env)
    return tree


def guard_ast(env: Environment, source: str, name: str) -> nodes.Template:
    """Parse a standalone template with the guards of :func:`build_ast` and none of its
    layout passes (block trimming, inheritance merging): a template written for another
    tool renders exactly as there, within our bounds."""
    tree = _Guards(env, name, name).visit(env._parse(source, name, name))
    tree.set_environment(env)
    return tree


def decode_line(
    origins: Mapping[str, tuple[str, ...]], filename: str | None, lineno: int | None
) -> tuple[str | None, int | None]:
    """The file and line a (possibly merged) template line number stands for."""
    if lineno is None or filename is None:
        return filename, lineno
    index, line = divmod(lineno, LINE_STRIDE)
    chain = origins.get(filename)
    if chain is None or index >= len(chain):
        return filename, lineno
    return chain[index], line


# --- passes ----------------------------------------------------------------------------------


def _trim_blocks(tree: nodes.Template) -> None:
    for block in tree.find_all(nodes.Block):
        trim_body_edges(block.body)


def _flatten(
    env: Environment,
    tree: nodes.Template,
    name: str | None,
    filename: str | None,
    chain: tuple[str | None, ...],
) -> tuple[nodes.Template, list[str]] | None:
    """``(merged tree, files of the parents)``, or ``None`` for runtime inheritance."""
    top = [n for n in tree.body if isinstance(n, nodes.Extends)]
    if not any(True for _ in tree.find_all(nodes.Extends)):
        return tree, []
    statements: list[nodes.Node] = []
    dynamic = len(top) != 1 or sum(1 for _ in tree.find_all(nodes.Extends)) != 1
    for node in tree.body:
        if isinstance(node, (nodes.Extends, nodes.Block)):
            continue
        if isinstance(node, nodes.Output):
            if not _is_blank(node):
                raise JinjaSyntaxError(
                    "text outside {% block %} tags is ignored when a template extends a "
                    "layout; put it inside a block (instruction, example, query, ...)",
                    node.lineno,
                    name,
                    filename,
                )
        elif isinstance(node, _CHILD_STATEMENTS):
            statements.append(node)
        else:
            dynamic = True
    target = top[0].template if top else None
    if dynamic or not (isinstance(target, nodes.Const) and isinstance(target.value, str)):
        return None
    if _uses_self_or_super(tree):
        return None
    parent_name = target.value
    if parent_name in chain:
        raise JinjaSyntaxError(
            f"circular extends: {' -> '.join(map(str, chain))} -> {parent_name}",
            top[0].lineno,
            name,
            filename,
        )
    assert env.loader is not None
    try:
        source, parent_file, _ = env.loader.get_source(env, parent_name)
    except TemplateSecurityError as exc:
        raise TemplateSecurityError(
            exc.message, template=filename or name, line=top[0].lineno
        ) from exc
    except TemplateNotFound as exc:
        raise JinjaSyntaxError(
            f"template {parent_name!r} not found on the search path", top[0].lineno, name, filename
        ) from exc
    if source.count("\n") >= LINE_STRIDE:
        return None
    parent = env._parse(source, parent_name, parent_file)
    _trim_blocks(parent)
    merged = _flatten(env, parent, parent_name, parent_file, (*chain, parent_name))
    if merged is None:
        return None
    parent, grandparents = merged
    for node in [parent, *parent.find_all(nodes.Node)]:
        if node.lineno is not None:
            node.lineno += LINE_STRIDE
    overrides = {block.name: block for block in tree.find_all(nodes.Block)}
    for block in list(parent.find_all(nodes.Block)):
        override = overrides.get(block.name)
        if override is not None:
            block.body = override.body
            block.required = False
    parent.body[:0] = statements
    return parent, [parent_file or parent_name, *grandparents]


def _is_blank(node: nodes.Output) -> bool:
    return all(isinstance(n, nodes.TemplateData) and not n.data.strip() for n in node.nodes)


def _uses_self_or_super(tree: nodes.Template) -> bool:
    return any(n.name in ("self", "super") for n in tree.find_all(nodes.Name))


class _Inliner(NodeTransformer):
    def visit_Block(self, node: nodes.Block, *args: Any, **kwargs: Any) -> nodes.Node:
        self.generic_visit(node)
        if node.required:
            raise JinjaSyntaxError(
                f"block {node.name!r} is required: the template must fill it", node.lineno
            )
        return nodes.Scope(node.body, lineno=node.lineno)


class _FoldConstants(NodeTransformer):
    """Replace ``name.field`` and ``name["field"]`` of constant mappings by their value, so
    Jinja's optimizer can merge them into the template text. A template that assigns to one
    of those names keeps it a variable."""

    def __init__(self, tree: nodes.Template, constants: Mapping[str, Mapping[str, Any]]):
        assigned = {n.name for n in tree.find_all(nodes.Name) if n.ctx != "load"}
        self.constants = {k: v for k, v in constants.items() if k not in assigned}

    def _value(self, base: nodes.Node, key: Any) -> Any:
        if isinstance(base, nodes.Name) and isinstance(key, str):
            fields = self.constants.get(base.name)
            if fields is not None and key in fields:
                return fields[key]
        return missing

    def visit_Getattr(self, node: nodes.Getattr, *args: Any, **kwargs: Any) -> nodes.Node:
        value = self._value(node.node, node.attr)
        if value is missing:
            return self.generic_visit(node)
        return nodes.Const(value, lineno=node.lineno)

    def visit_Getitem(self, node: nodes.Getitem, *args: Any, **kwargs: Any) -> nodes.Node:
        key = node.arg.value if isinstance(node.arg, nodes.Const) else None
        value = self._value(node.node, key)
        if value is missing:
            return self.generic_visit(node)
        return nodes.Const(value, lineno=node.lineno)


def _filter(node: Any, name: str, lineno: int) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=lineno)


def _metered_operand(node: nodes.Expr) -> nodes.Expr:
    if isinstance(node, nodes.Const):
        return node
    return _filter(node, "pc_operand", node.lineno)


class _Guards(NodeTransformer):
    def __init__(self, env: Environment, name: str | None, filename: str | None) -> None:
        self.env, self.name, self.filename = env, name, filename

    def _known(self, node: nodes.Filter | nodes.Test, known: Mapping[str, Any], what: str) -> None:
        # Jinja defers an unknown filter inside {% if %} to render time, where its error has
        # no line; the filters and tests of a prompt environment are fixed, so fail here.
        if node.name not in known and not node.name.startswith("pc_"):
            hint = did_you_mean(node.name, [n for n in known if n[:3] != "pc_"])
            hint = f"; {hint}" if hint else ""
            raise JinjaSyntaxError(
                f"no {what} named {node.name!r}{hint}", node.lineno, self.name, self.filename
            )

    def visit_Filter(self, node: nodes.Filter, *args: Any, **kwargs: Any) -> nodes.Node:
        self._known(node, self.env.filters, "filter")
        return self.generic_visit(node)

    def visit_Test(self, node: nodes.Test, *args: Any, **kwargs: Any) -> nodes.Node:
        self._known(node, self.env.tests, "test")
        return self.generic_visit(node)

    def visit_For(self, node: nodes.For, *args: Any, **kwargs: Any) -> nodes.Node:
        self.generic_visit(node)
        node.iter = _filter(node.iter, "pc_loop", node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat, *args: Any, **kwargs: Any) -> nodes.Node:
        self.generic_visit(node)
        parts = nodes.Tuple(node.nodes, "load", lineno=node.lineno)
        return _filter(parts, "pc_concat", node.lineno)

    def _literal(self, node: nodes.Expr) -> nodes.Node:
        self.generic_visit(node)
        return _filter(node, "pc_value", node.lineno)

    def visit_List(self, node: nodes.List, *args: Any, **kwargs: Any) -> nodes.Node:
        return self._literal(node)

    def visit_Dict(self, node: nodes.Dict, *args: Any, **kwargs: Any) -> nodes.Node:
        return self._literal(node)

    def visit_Tuple(self, node: nodes.Tuple, *args: Any, **kwargs: Any) -> nodes.Node:
        if node.ctx != "load":
            return node
        return self._literal(node)

    def visit_Assign(self, node: nodes.Assign, *args: Any, **kwargs: Any) -> nodes.Node:
        # A namespace attribute is the one place a template can store a value in another
        # (`{% set ns.a = ns %}`); size-check what goes in, as for a literal.
        self.generic_visit(node)
        if isinstance(node.target, nodes.NSRef):
            node.node = _filter(node.node, "pc_value", node.lineno)
        return node

    def visit_Compare(self, node: nodes.Compare, *args: Any, **kwargs: Any) -> nodes.Node:
        # A comparison reads its operands: charge that work (a loop may repeat it) on the
        # container of `in`, on the left side of the others. Constants cost nothing.
        self.generic_visit(node)
        if any(operand.op not in ("in", "notin") for operand in node.ops):
            node.expr = _metered_operand(node.expr)
        for operand in node.ops:
            if operand.op in ("in", "notin"):
                operand.expr = _metered_operand(operand.expr)
        return node

    def visit_Getitem(self, node: nodes.Getitem, *args: Any, **kwargs: Any) -> nodes.Node:
        # A slice copies its part of the value.
        self.generic_visit(node)
        if isinstance(node.arg, nodes.Slice):
            node.node = _filter(node.node, "pc_operand", node.lineno)
        return node
