"""The mutants of one file: small changes to its tree, each spliced into the text and checked to parse back.

Operators: comparison swaps (``<``/``<=``, ``>``/``>=``, ``==``/``!=``, ``in``/``not in``, ``is``/``is not``),
``and``/``or``, ``not x`` -> ``x``, ``-x`` -> ``x``, arithmetic and set operators (``+``/``-``, ``*``/``/``,
``|``/``&``), constants (an int +1 and -1, ``True``/``False``, a string changed, ``None`` -> ``''``),
``return x`` -> ``return None``, a statement of a function body dropped (made ``pass``), one element dropped
from a tuple, list, set or dict literal, one keyword argument dropped from a call. Module-level data is mutated
like code. Docstrings, annotations and union types, imports, f-strings, decorators and ``TYPE_CHECKING``
blocks are left alone, and so is what starts on a line marked ``# pragma: no mutate`` (prose kept as data,
such as a flow's notes for the reference, whose only reader is a person).

A mutant is a byte range of the file and the text that replaces it. The text keeps every line where it was
(a change that removes lines puts newlines back inside brackets), so the line numbers of tracebacks and of the
coverage data still hold. Every mutant's text is parsed and compared with the tree the change was meant to make;
a splice that parses to anything else is written out whole instead, or dropped.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: What a changed string constant is wrapped in.
MARK = "XX"
#: A statement or expression starting on a line with this comment gets no mutant.
PRAGMA = b"# pragma: no mutate"

_COMPARE_SWAPS: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.In: ast.NotIn, ast.NotIn: ast.In,
    ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}
_BINOP_SWAPS: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub, ast.Sub: ast.Add, ast.Mult: ast.Div, ast.Div: ast.Mult, ast.FloorDiv: ast.Div,
    ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr,
}
#: Subscripts of these names are types (``Literal["get", "set"]``, ``tuple[str, ...]``): not mutated.
_TYPING_NAMES = frozenset({
    "Literal", "Mapping", "Sequence", "Iterable", "Iterator", "Callable", "Optional", "Union", "Final",
    "ClassVar", "Generator", "tuple", "dict", "list", "set", "frozenset", "type",
})
_BUILTIN_TYPES = frozenset({
    "str", "int", "float", "bool", "bytes", "object", "dict", "list", "tuple", "set", "frozenset", "type",
})
#: Statements of a function body that may be dropped (compound ones other than ``if`` are not).
_DROPPABLE = (
    ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Raise, ast.Return, ast.If, ast.Assert, ast.Delete,
    ast.Continue, ast.Break,
)
_UNMUTATED_STATEMENTS = (ast.Import, ast.ImportFrom, ast.Global, ast.Nonlocal, ast.Pass)
_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try)
#: Fields that hold no expression worth mutating (or hold statements, walked on their own).
_SKIPPED_FIELDS = frozenset({"annotation", "returns", "type_comment", "targets", "target", "ctx", "decorator_list"})


@dataclass(frozen=True)
class Mutant:
    """One change to one file, and what a person reads of it."""

    file: str  #: repository-relative path
    line: int
    #: Where it is: ``Class.method``, ``function``, a module-level name (``ENROLLMENT``) or ``<module>``.
    scope: str
    operator: str
    original: str
    mutant: str
    #: The lines of the statement the change is in (the tests that ran them are looked up over these lines).
    lines: tuple[int, int]
    #: True when the statement runs when its module is imported (module or class level).
    import_time: bool
    start: int  #: byte offsets of the replaced text in the file
    end: int
    replacement: str

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.file, self.scope, self.original, self.mutant)

    def label(self, width: int = 200) -> str:
        """``file:line: original -> mutant``, each side cut at ``width`` characters."""
        return f"{self.file}:{self.line}: {short(self.original, width)} -> {short(self.mutant, width)}"

    def apply(self, source: bytes) -> bytes:
        return source[: self.start] + self.replacement.encode() + source[self.end :]


def short(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def find_mutants(file: str, source: bytes) -> list[Mutant]:
    """Every mutant of ``source`` (the file ``file``, repository-relative), in the order of the file."""
    finder = _Finder(file, source)
    finder.body(finder.tree.body, "module", finder.tree)
    return finder.found


@dataclass
class _Change:
    """Replace ``parent.<field>[index]`` (``parent.<field>`` when index is None) by ``new``, or remove the item."""

    parent: ast.AST
    field: str
    index: int | None
    new: ast.AST | None  #: None: remove the item at ``index``
    also: str | None = None  #: a parallel list to remove the same index from (a dict's values)

    def __enter__(self) -> None:
        self.saved = [(n, _copy(getattr(self.parent, n))) for n in (self.field, self.also) if n is not None]
        if self.index is None:
            setattr(self.parent, self.field, self.new)
            return
        items: list[Any] = getattr(self.parent, self.field)
        if self.new is not None:
            items[self.index] = self.new
            return
        del items[self.index]
        if self.also is not None:
            del getattr(self.parent, self.also)[self.index]

    def __exit__(self, *exc: object) -> None:
        for name, value in self.saved:
            setattr(self.parent, name, value)


def _copy(value: object) -> object:
    return list(value) if isinstance(value, list) else value


class _Finder:
    def __init__(self, file: str, source: bytes) -> None:
        self.file = file
        self.source = source
        self.tree = ast.parse(source)
        self.parents = {child: p for p in ast.walk(self.tree) for child in ast.iter_child_nodes(p)}
        self.starts = [0, *(i + 1 for i, b in enumerate(source) if b == 0x0A)]
        self.unmutated = {n for n, line in enumerate(source.split(b"\n"), 1) if PRAGMA in line}
        self.found: list[Mutant] = []
        self.seen: set[tuple[int, int, str]] = set()
        self.scope: list[str] = []
        self.lines = (0, 0)
        self.import_time = True
        self.top: ast.stmt | None = None  # the module-level statement being walked

    # -- positions -------------------------------------------------------------------------------------------

    def span(self, node: ast.AST) -> tuple[int, int]:
        start = self.starts[node.lineno - 1] + node.col_offset  # type: ignore[attr-defined]  # expr/stmt have it
        end = self.starts[node.end_lineno - 1] + node.end_col_offset  # type: ignore[attr-defined]
        return start, end

    def newlines(self, start: int, end: int) -> int:
        return self.source.count(b"\n", start, end)

    def locate(self, node: ast.AST) -> tuple[ast.AST, str, int | None]:
        parent = self.parents[node]
        for name, value in ast.iter_fields(parent):
            if value is node:
                return parent, name, None
            if isinstance(value, list):
                for i, item in enumerate(value):
                    if item is node:
                        return parent, name, i
        raise LookupError(node)

    # -- walking ---------------------------------------------------------------------------------------------

    def body(self, stmts: list[ast.stmt], level: str, owner: ast.AST, fieldname: str = "body") -> None:
        for i, stmt in enumerate(stmts):
            if i == 0 and fieldname == "body" and _is_docstring(stmt):
                continue
            if level == "module":
                self.top = stmt
            self.statement(stmt, level, stmts, i, owner=owner, fieldname=fieldname)

    def statement(
        self, s: ast.stmt, level: str, siblings: list[ast.stmt], index: int, *, owner: ast.AST, fieldname: str,
    ) -> None:
        if s.lineno in self.unmutated or isinstance(s, _UNMUTATED_STATEMENTS):
            return
        if isinstance(s, ast.If) and _is_type_checking(s.test):
            return
        import_time = level != "function"
        if isinstance(s, ast.FunctionDef | ast.AsyncFunctionDef):
            self.scope.append(s.name)
            with self.at((s.lineno, max(s.lineno, s.body[0].lineno - 1)), import_time):
                positional = [*s.args.posonlyargs, *s.args.args]
                named = [*zip(positional[len(positional) - len(s.args.defaults):], s.args.defaults, strict=True),
                         *zip(s.args.kwonlyargs, s.args.kw_defaults, strict=True)]
                for arg, default in named:
                    if default is not None:
                        self.scope.append(arg.arg)  # a default's scope: function.parameter
                        self.expr(default)
                        self.scope.pop()
            self.body(s.body, "function", s)
            self.scope.pop()
            return
        if isinstance(s, ast.ClassDef):
            self.scope.append(s.name)
            self.body(s.body, "class", s)
            self.scope.pop()
            return
        name = None
        if level != "function":
            targets = s.targets if isinstance(s, ast.Assign) else [s.target] if isinstance(s, ast.AnnAssign) else []
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            if "__all__" in names:
                return
            name = names[0] if names else None
        if name is not None:
            self.scope.append(name)
        full = (s.lineno, s.end_lineno or s.lineno)
        swap = _BINOP_SWAPS.get(type(s.op)) if isinstance(s, ast.AugAssign) and full[0] == full[1] else None
        if swap is not None:
            assert isinstance(s, ast.AugAssign)
            new = ast.AugAssign(target=s.target, op=swap(), value=s.value)
            with self.at(full, import_time):
                self.add("arithmetic", _Change(owner, fieldname, index, new), shown=(_one_line(s), _one_line(new)),
                         cut=self.span(s), text=ast.unparse(new), line=s.lineno)
        if level == "function":
            self.statement_mutants(s, siblings, index, owner=owner, fieldname=fieldname, full=full)
        if not isinstance(s, _COMPOUND):
            with self.at(full, import_time):
                for child in _expr_children(s):
                    self.expr(child)
        else:
            self.compound(s, level, import_time)
        if name is not None:
            self.scope.pop()

    def compound(self, s: ast.stmt, level: str, import_time: bool) -> None:
        body: list[ast.stmt] = getattr(s, "body", [])
        with self.at((s.lineno, max(s.lineno, body[0].lineno - 1 if body else s.lineno)), import_time):
            if isinstance(s, ast.If | ast.While):
                self.expr(s.test)
            elif isinstance(s, ast.For | ast.AsyncFor):
                self.expr(s.iter)
            elif isinstance(s, ast.With | ast.AsyncWith):
                for item in s.items:
                    self.expr(item.context_expr)
        for fieldname in ("body", "orelse", "finalbody"):
            stmts = getattr(s, fieldname, None)
            if stmts:
                self.body(stmts, level, s, fieldname)
        for handler in getattr(s, "handlers", []):
            if handler.type is not None:
                with self.at((handler.lineno, handler.lineno), import_time):
                    self.expr(handler.type)
            self.body(handler.body, level, handler)

    def at(self, lines: tuple[int, int], import_time: bool) -> _At:
        return _At(self, lines, import_time)

    def expr(self, node: ast.AST) -> None:
        if isinstance(node, ast.JoinedStr) or getattr(node, "lineno", 0) in self.unmutated:
            return
        if not isinstance(getattr(node, "ctx", ast.Load()), ast.Load):
            return
        if isinstance(node, ast.Subscript) and _typing_subscript(node):
            return
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and _is_type(node):
            return  # a union type (``str | None``), not a computation
        self.expr_mutants(node)
        for child in _expr_children(node):
            self.expr(child)

    # -- the operators ---------------------------------------------------------------------------------------

    def statement_mutants(
        self, s: ast.stmt, siblings: list[ast.stmt], index: int, *, owner: ast.AST, fieldname: str,
        full: tuple[int, int],
    ) -> None:
        start, end = self.span(s)
        eol = self.source.find(b"\n", end)
        rest = self.source[end : eol if eol >= 0 else len(self.source)].strip()
        if rest and not rest.startswith(b"#"):
            return  # `a; b` on one line: not worth the care
        pad = "\n" * self.newlines(start, end)
        with self.at(full, False):
            if isinstance(s, ast.Return) and s.value is not None and not (
                isinstance(s.value, ast.Constant) and s.value.value is None
            ):
                self.add("return", _Change(owner, fieldname, index, ast.Return(value=ast.Constant(value=None))),
                         shown=(f"return {_one_line(s.value)}", "return None"), cut=(start, end),
                         text="return None" + pad, line=s.lineno)
            if not isinstance(s, _DROPPABLE) or (isinstance(s, ast.Return) and index == len(siblings) - 1):
                return  # dropping the last return is `return None` again
            if isinstance(s, ast.If) and not self.source[start:end].startswith(b"if"):
                return  # an elif
            original = f"if {_one_line(s.test)}: ..." if isinstance(s, ast.If) else _one_line(s)
            self.add("statement", _Change(owner, fieldname, index, ast.Pass()), shown=(original, "pass"),
                     cut=(start, end), text="pass" + pad, line=s.lineno)

    def expr_mutants(self, node: ast.AST) -> None:
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                swap = _COMPARE_SWAPS.get(type(op))
                if swap is not None:
                    ops = [*node.ops[:i], swap(), *node.ops[i + 1 :]]
                    self.replace("compare", node, ast.Compare(left=node.left, ops=ops, comparators=node.comparators))
        elif isinstance(node, ast.BoolOp):
            other: ast.boolop = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            self.replace("boolean", node, ast.BoolOp(op=other, values=node.values))
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not | ast.USub):
            if not (isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)):
                self.replace("unary", node, node.operand)
        elif isinstance(node, ast.BinOp):
            swap_op = _BINOP_SWAPS.get(type(node.op))
            if swap_op is not None:
                self.replace("arithmetic", node, ast.BinOp(left=node.left, op=swap_op(), right=node.right))
        elif isinstance(node, ast.Constant):
            parent = self.parents.get(node)
            if node.value is None and isinstance(parent, ast.Compare) and any(
                isinstance(op, ast.Is | ast.IsNot) for op in parent.ops
            ):
                return  # `x is ''` is a SyntaxWarning, not a mutant; `is`/`is not` is swapped instead
            for new in _constant_mutants(node.value):
                self.replace("constant", node, new)
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            for i in range(len(node.elts)):
                self.drop(node, "elts", i)
        elif isinstance(node, ast.Dict):
            for i in range(len(node.keys)):
                self.drop(node, "keys", i, also="values")
        elif isinstance(node, ast.Call):
            for i in range(len(node.keywords)):
                self.drop(node, "keywords", i)

    def replace(self, operator: str, node: ast.AST, new: ast.AST) -> None:
        parent, fieldname, index = self.locate(node)
        start, end = self.span(node)
        text = ast.unparse(new)
        lines = self.newlines(start, end)
        if lines or not isinstance(new, ast.Name | ast.Constant):
            text = "(" + text + "\n" * lines + ")"
        self.add(operator, _Change(parent, fieldname, index, new), shown=(_one_line(node), _one_line(new)),
                 cut=(start, end), text=text, line=getattr(node, "lineno", 0))

    def drop(self, node: ast.AST, fieldname: str, index: int, *, also: str | None = None) -> None:
        """Drop item ``index`` of ``node.<fieldname>``: cut out of the text, checked; else the node written out."""
        items: list[ast.AST] = getattr(node, fieldname)
        what = {"elts": "element", "keys": "entry", "keywords": "keyword"}[fieldname]
        dropped = f"({what} dropped)"
        if isinstance(node, ast.Dict):
            key, value = node.keys[index], node.values[index]
            shown = f"**{_one_line(value)}" if key is None else f"{_one_line(key)}: {_one_line(value)}"
            spans = [self.dict_item_span(node, i) for i in range(len(node.keys))]
            line = (key or value).lineno
        else:
            shown = _one_line(items[index])
            spans = [self.span(item) for item in items]
            line = int(getattr(items[index], "lineno", 0))
        if line in self.unmutated:
            return
        whole = self.span(node)
        if isinstance(node, ast.Set) and len(items) == 1:  # {x} -> set(), not {} (a dict)
            parent, pfield, pindex = self.locate(node)
            empty = ast.Call(func=ast.Name(id="set", ctx=ast.Load()), args=[], keywords=[])
            self.add(f"drop {what}", _Change(parent, pfield, pindex, empty), shown=(shown, dropped), cut=whole,
                     text="set()" + "\n" * self.newlines(*whole), line=line)
            return
        change = _Change(node, fieldname, index, None, also)
        start, end = spans[index]
        if len(spans) == 1:
            cut = (start, whole[1] - 1)  # up to the closing bracket
        elif index < len(spans) - 1:
            cut = (start, spans[index + 1][0])
        else:
            cut = (spans[index - 1][1], end)
        if self.add(f"drop {what}", change, shown=(shown, dropped), cut=cut, text="\n" * self.newlines(*cut),
                    line=line):
            return
        # The cut did not parse to the intended tree (a tuple left with one element and no comma, a tuple
        # without brackets): write the whole node out instead.
        with change:
            rewritten = ast.unparse(node)
        self.add(f"drop {what}", change, shown=(shown, dropped), cut=whole,
                 text="(" + rewritten + "\n" * self.newlines(*whole) + ")", line=line)

    def dict_item_span(self, node: ast.Dict, i: int) -> tuple[int, int]:
        key, value = node.keys[i], node.values[i]
        start, end = self.span(value)
        if key is not None:
            return self.span(key)[0], end
        return self.source.rfind(b"**", 0, start), end

    def add(
        self, operator: str, change: _Change, *, shown: tuple[str, str], cut: tuple[int, int], text: str, line: int,
    ) -> bool:
        """Record the mutant (``cut`` replaced by ``text``) if it parses to the tree with ``change`` made."""
        original, mutant = shown
        start, end = cut
        if original == mutant:
            return True
        assert self.top is not None
        source = self.source[:start] + text.encode() + self.source[end:]
        try:
            got = ast.parse(source)
        except SyntaxError:
            return False
        # The text outside the module-level statement is untouched and every line stays where it was, so
        # comparing that statement (and the number of statements) is enough.
        where = self.tree.body.index(self.top)
        if len(got.body) != len(self.tree.body):
            return False
        with change:
            expected = ast.dump(self.top)
        if ast.dump(got.body[where]) != expected:
            return False
        if (start, end, text) in self.seen:
            return True
        self.seen.add((start, end, text))
        self.found.append(Mutant(
            file=self.file, line=line, scope=".".join(self.scope) or "<module>",
            operator=operator, original=original, mutant=mutant, lines=self.lines, import_time=self.import_time,
            start=start, end=end, replacement=text,
        ))
        return True


class _At:
    """Context manager: the finder's current statement lines and import-time flag, restored on exit."""

    def __init__(self, finder: _Finder, lines: tuple[int, int], import_time: bool) -> None:
        self.finder, self.lines, self.import_time = finder, lines, import_time
        self.saved = (finder.lines, finder.import_time)

    def __enter__(self) -> None:
        self.finder.lines, self.finder.import_time = self.lines, self.import_time

    def __exit__(self, *exc: object) -> None:
        self.finder.lines, self.finder.import_time = self.saved


def _one_line(node: ast.AST) -> str:
    return " ".join(ast.unparse(node).split())


def _is_docstring(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant) and isinstance(stmt.value.value, str)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _typing_subscript(node: ast.Subscript) -> bool:
    value = node.value
    name = value.id if isinstance(value, ast.Name) else value.attr if isinstance(value, ast.Attribute) else ""
    return name in _TYPING_NAMES


def _is_type(node: ast.expr) -> bool:
    """True for an expression that can only be a type: ``str | None``, ``Mapping[str, int] | None``, ``Reply``."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _is_type(node.left) and _is_type(node.right)
    if isinstance(node, ast.Constant):
        return node.value is None
    if isinstance(node, ast.Name):
        return node.id in _BUILTIN_TYPES or node.id[:1].isupper()
    if isinstance(node, ast.Attribute):
        return node.attr[:1].isupper()
    if isinstance(node, ast.Subscript):
        return _typing_subscript(node)
    return False


def _expr_children(node: ast.AST) -> Iterator[ast.AST]:
    """The expressions directly inside ``node``: not annotations, assignment targets or nested statements."""
    for name, value in ast.iter_fields(node):
        if name in _SKIPPED_FIELDS:
            continue
        for v in value if isinstance(value, list) else [value]:
            if isinstance(v, ast.expr):
                yield v
            elif isinstance(v, ast.keyword):
                yield v.value
            elif isinstance(v, ast.comprehension):
                yield v.iter
                yield from v.ifs
            elif isinstance(v, ast.arguments):
                yield from v.defaults
                yield from (k for k in v.kw_defaults if k is not None)


def _constant_mutants(value: object) -> list[ast.expr]:
    """What a constant becomes: ``n+1`` and ``n-1``, the other bool, a changed string, ``''`` for ``None``."""
    if isinstance(value, bool):
        return [ast.Constant(value=not value)]
    if isinstance(value, int | float):
        changed = [value + 1, value - 1] if isinstance(value, int) else [value + 1]
        return [
            ast.Constant(value=v) if v >= 0 else ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-v))
            for v in changed
        ]
    if isinstance(value, str):
        return [ast.Constant(value=f"{MARK}{value}{MARK}")]
    if value is None:
        return [ast.Constant(value="")]
    return []
