"""Control flow and local scopes of the visitor: ``if`` (the ``__main__`` block, settings-flag
guards), lambdas (inline, or functions of their own when handed to a project function), ``for``,
comprehensions, ``:=`` and ``except ... as``: every local binding shadows module-level objects."""

from __future__ import annotations

import ast

from workeradvisor.scan.facts import FuncFacts
from workeradvisor.scan.resolve import Binding, LocalVar, QName
from workeradvisor.scan.state import VisitorState


class ScopingMixin(VisitorState):
    """Mixed into the visitor; relies on its ``visit``, ``visit_children`` and ``bind_target``."""

    def visit_children(self, node: ast.AST) -> None:
        raise NotImplementedError

    def bind_target(self, target: ast.expr, b: Binding | None) -> None:
        raise NotImplementedError

    def visit_if(self, node: ast.If) -> None:
        test = node.test
        if (self.func.is_module and type(test) is ast.Compare and type(test.left) is ast.Name
                and test.left.id == "__name__"):
            self.main_block(node)  # ``if __name__ == "__main__":`` does not run at import or when served
            return
        if not self.func.is_module:
            self.note_guard(node)
            self.note_memo_guard(node)
        self.visit_children(node)

    def note_guard(self, node: ast.If) -> None:
        """``if settings.flag:`` / ``if not settings.flag:``: the linker drops the branch the flag's
        default never takes (a blocking call behind a feature that is off by default)."""
        test, polarity = node.test, True
        if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
            test, polarity = test.operand, False
        if not isinstance(test, ast.Attribute):
            return
        b = self.resolve(test)
        if type(b) is not QName or not self.is_project(b.qualname):
            return
        for body, runs_when in ((node.body, polarity), (node.orelse, not polarity)):
            if body:
                last = body[-1].end_lineno or body[-1].lineno
                self.func.guards.append((b.qualname, runs_when, body[0].lineno, last))

    def main_block(self, node: ast.If) -> None:
        """The script entry: its code is visited as an unserved pseudo-function."""
        f = FuncFacts(f"{self.module}.<main>", "<main>", self.module, False, node.lineno, entry="cli __main__")
        self.facts.functions.append(f)
        saved = self.func
        self.func = f
        self.scopes.append({})
        for stmt in node.body:
            self.visit(stmt)
        self.scopes.pop()
        self.func = saved

    def visit_await(self, node: ast.Await) -> None:
        if type(node.value) is ast.Call:
            self.awaited.add(id(node.value))
            self.awaited_direct.add(id(node.value))
        self.visit(node.value)

    def visit_lambda(self, node: ast.Lambda) -> None:
        if id(node) in self.skip:  # sent to a thread (or made a function of its own)
            return
        self.scopes.append(self.lambda_scope(node))  # a lambda not sent to a thread runs where it is called
        self.visit(node.body)
        self.scopes.pop()

    def lambda_scope(self, node: ast.Lambda) -> dict[str, Binding]:
        a = node.args
        return {p.arg: LocalVar(p.arg) for p in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg)
                if p is not None}

    def lambda_function(self, node: ast.Lambda) -> str:
        """A lambda handed to a project function becomes a sync function of its own (the linker
        links it inline, or not at all when the callee offloads it)."""
        self.skip.add(id(node))
        local = f"{self.local_prefix}<lambda:{node.lineno}:{node.col_offset}>"
        f = FuncFacts(f"{self.module}.{local}", local, self.module, False, node.lineno)
        self.facts.functions.append(f)
        saved = self.func
        self.func = f
        self.scopes.append(self.lambda_scope(node))
        self.visit(node.body)
        self.scopes.pop()
        self.func = saved
        return f.qualname

    def visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        self.func.loops = True
        self.visit(node.iter)
        self.bind_target(node.target, None)
        for stmt in (*node.body, *node.orelse):
            self.visit(stmt)

    def visit_while(self, node: ast.While) -> None:
        self.func.loops = True
        self.visit_children(node)

    def visit_comp(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        self.func.loops = True
        self.scopes.append({})
        for gen in node.generators:
            self.visit(gen.iter)
            self.bind_target(gen.target, None)
            for cond in gen.ifs:
                self.visit(cond)
        if type(node) is ast.DictComp:
            self.visit(node.key)
            self.visit(node.value)
        else:
            self.visit(node.elt)  # type: ignore[union-attr]
        self.scopes.pop()

    def visit_namedexpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        self.bind_target(node.target, self.resolve(node.value))

    def visit_except(self, node: ast.ExceptHandler) -> None:
        if node.type is not None:
            self.visit(node.type)
        if node.name:
            self.scopes[-1][node.name] = LocalVar(node.name)
        for stmt in node.body:
            self.visit(stmt)
