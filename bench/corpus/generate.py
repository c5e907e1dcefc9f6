"""A fixed, seeded corpus of varied, realistic-looking Python modules.

``generate_corpus(seed, files, lines_per_file)`` returns ``{name: source}``;
the same arguments always give the same text (it uses its own ``random.Random``).
Every module parses. The code is meaningless but shaped like real code:
docstrings, imports (some unused), constants, dataclass-like classes with
methods, functions with branches, loops, try/except, with, comprehensions,
lambdas, f-strings, match statements, async functions, decorators, type
annotations, nested functions, the odd duplicated block and rule violation.

    python bench/corpus/generate.py OUT_DIR [--files N] [--lines N] [--seed N]
"""

from __future__ import annotations

import argparse
import ast
import random
from pathlib import Path

MODULES = ["os", "sys", "json", "re", "math", "time", "logging", "itertools", "functools",
           "collections", "pathlib", "typing", "dataclasses", "datetime", "hashlib"]
FROM_IMPORTS = [("typing", ["Any", "Optional", "Iterable", "Callable", "Mapping"]),
                ("collections", ["defaultdict", "OrderedDict", "deque", "Counter"]),
                ("pathlib", ["Path", "PurePath"]), ("dataclasses", ["dataclass", "field"]),
                ("functools", ["lru_cache", "partial", "reduce", "wraps"])]
NOUNS = ["user", "order", "item", "record", "token", "node", "edge", "config", "result",
         "payload", "request", "response", "buffer", "entry", "value", "key", "batch",
         "account", "invoice", "session", "event", "metric", "span", "frame", "chunk"]
VERBS = ["load", "parse", "build", "check", "apply", "merge", "split", "render", "fetch",
         "store", "update", "compute", "resolve", "encode", "decode", "filter", "collect"]
TYPES = ["int", "str", "float", "bool", "list[int]", "dict[str, Any]", "Optional[str]",
         "Iterable[str]", "bytes"]
OPS = ["+", "-", "*", "//", "%"]
CMPS = ["<", ">", "==", "!=", "<=", ">=", "in", "not in", "is", "is not"]


class _Gen:
    def __init__(self, rng: random.Random) -> None:
        self.r = rng
        self.lines: list[str] = []
        self.bodies: list[list[str]] = []
        self.counter = 0

    def name(self) -> str:
        self.counter += 1
        return f"{self.r.choice(NOUNS)}_{self.counter % 97}"

    def func_name(self) -> str:
        self.counter += 1
        return f"{self.r.choice(VERBS)}_{self.r.choice(NOUNS)}_{self.counter}"

    def atom(self, names: list[str]) -> str:
        r = self.r
        kind = r.random()
        if kind < 0.25 and names:
            return r.choice(names[-3:])  # recently bound names are the most used
        if kind < 0.45 and names:
            return r.choice(names)
        if kind < 0.6:
            return str(r.randint(0, 1000))
        if kind < 0.7:
            return repr(r.choice(NOUNS))
        if kind < 0.8 and names:
            return f"{r.choice(names)}.{r.choice(NOUNS)}"
        if kind < 0.9 and names:
            return f"{r.choice(names)}[{r.randint(0, 9)}]"
        return f"len({r.choice(names) if names else 'x'})"

    def ref(self, names: list[str]) -> str:
        return self.r.choice(names) if names else "state"

    def expr(self, names: list[str], depth: int = 0) -> str:
        r = self.r
        kind = r.random()
        if depth > 2 or kind < 0.35:
            return self.atom(names)
        if kind < 0.5:
            return f"{self.expr(names, depth + 1)} {r.choice(OPS)} {self.expr(names, depth + 1)}"
        if kind < 0.6:
            args = ", ".join(self.expr(names, depth + 1) for _ in range(r.randint(0, 3)))
            return f"{self.func_name()}({args})"
        if kind < 0.68:
            v = self.name()
            cond = f" if {self.cond(names + [v], depth + 1)}" if r.random() < 0.5 else ""
            return f"[{v} for {v} in {self.atom(names)}{cond}]"
        if kind < 0.74:
            return (f"{self.atom(names)} if {self.cond(names, depth + 1)} "
                    f"else {self.atom(names)}")
        if kind < 0.8:
            return f'f"{{{self.atom(names)}}}-{r.choice(NOUNS)}"'
        if kind < 0.86:
            v = self.name()
            return f"sorted({self.atom(names)}, key=lambda {v}: {v}.{r.choice(NOUNS)})"
        if kind < 0.92:
            return "{" + ", ".join(
                f"{r.choice(NOUNS)!r}: {self.atom(names)}" for _ in range(r.randint(1, 3))) + "}"
        return f"{self.ref(names)}.{r.choice(VERBS)}({self.atom(names)})"

    def cond(self, names: list[str], depth: int = 0) -> str:
        r = self.r
        parts = [f"{self.atom(names)} {r.choice(CMPS)} {self.atom(names)}"
                 for _ in range(r.choice([1, 1, 1, 1, 2, 2, 2, 3, 3, 5]))]
        out = parts[0]
        for part in parts[1:]:
            out += f" {r.choice(['and', 'or'])} {part}"
        return ("not " if r.random() < 0.1 else "") + out

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def block(self, indent: int, names: list[str], depth: int, size: int,
              in_loop: bool = False) -> None:
        size = max(1, size)
        for index in range(size):
            self.statement(indent, names, depth, in_loop, index == size - 1)

    def statement(self, indent: int, names: list[str], depth: int, in_loop: bool,
                  last: bool = False) -> None:
        r = self.r
        kind = r.random()
        if depth >= 4:
            kind = r.random() * 0.4
        if kind >= 0.94 and not last:
            kind = r.random() * 0.4
        if kind < 0.25:
            v = self.name()
            if names and r.random() < 0.3:
                v = r.choice(names[-4:])  # rebinding an existing name
            self.emit(indent, f"{v} = {self.expr(names)}")
            names.append(v)
        elif kind < 0.33:
            self.emit(indent, f"{self.ref(names)}.{r.choice(VERBS)}({self.expr(names)})")
        elif kind < 0.38:
            if names:
                self.emit(indent, f"{r.choice(names)} += {self.atom(names)}")
            else:
                self.emit(indent, "pass")
        elif kind < 0.40:
            self.emit(indent, f"logger.debug({r.choice(NOUNS)!r}, {self.atom(names)})")
        elif kind < 0.55:
            self.emit(indent, f"if {self.cond(names)}:")
            self.block(indent + 1, names, depth + 1, r.randint(1, 4), in_loop)
            for _ in range(r.choice([0, 0, 1, 2])):
                self.emit(indent, f"elif {self.cond(names)}:")
                self.block(indent + 1, names, depth + 1, r.randint(1, 3), in_loop)
            if r.random() < 0.5:
                self.emit(indent, "else:")
                self.block(indent + 1, names, depth + 1, r.randint(1, 3), in_loop)
        elif kind < 0.65:
            v = self.name()
            self.emit(indent, f"for {v} in {self.expr(names)}:")
            self.block(indent + 1, names + [v], depth + 1, r.randint(1, 4), True)
            if r.random() < 0.1:
                self.emit(indent, "else:")
                self.block(indent + 1, names, depth + 1, 1, in_loop)
        elif kind < 0.7:
            self.emit(indent, f"while {self.cond(names)}:")
            self.block(indent + 1, names, depth + 1, r.randint(1, 3), True)
        elif kind < 0.78:
            self.emit(indent, "try:")
            self.block(indent + 1, names, depth + 1, r.randint(1, 3), in_loop)
            for exc in r.sample(["ValueError", "KeyError", "OSError", "(TypeError, IndexError)",
                                 "Exception"], r.randint(1, 2)):
                self.emit(indent, f"except {exc} as err:")
                if r.random() < 0.7:
                    self.emit(indent + 1, "logger.warning('failed: %s', err)")
                else:
                    self.emit(indent + 1, "raise RuntimeError(str(err)) from err")
            if r.random() < 0.2:
                self.emit(indent, "finally:")
                self.emit(indent + 1, f"{self.ref(names)}.close()")
        elif kind < 0.82:
            v = self.name()
            self.emit(indent, f"with open({self.atom(names)}) as {v}:")
            self.block(indent + 1, names + [v], depth + 1, r.randint(1, 3), in_loop)
        elif kind < 0.85 and in_loop:
            self.emit(indent, f"if {self.cond(names)}:")
            self.emit(indent + 1, r.choice(["continue", "break"]))
        elif kind < 0.88:
            self.emit(indent, f"match {self.atom(names)}:")
            for _ in range(r.randint(1, 3)):
                self.emit(indent + 1, f"case {r.randint(0, 9)} | {r.randint(10, 20)}:")
                self.block(indent + 2, names, depth + 2, r.randint(1, 2), in_loop)
            self.emit(indent + 1, "case _:")
            self.emit(indent + 2, "pass")
        elif kind < 0.91:
            self.emit(indent, f"assert {self.cond(names)}, {r.choice(NOUNS)!r}")
        elif kind < 0.94 and depth < 3:
            inner = self.func_name()
            self.emit(indent, f"def {inner}({', '.join(names[:2])}):")
            self.block(indent + 1, list(names[:2]), 0, r.randint(1, 3))
            self.emit(indent + 1, f"return {self.expr(names[:2])}")
        else:
            self.emit(indent, f"return {self.expr(names)}")
            if r.random() < 0.05:
                self.emit(indent, f"{self.ref(names)}.{r.choice(VERBS)}()")  # unreachable

    def function(self, indent: int, method: bool = False) -> None:
        r = self.r
        params = [self.name() for _ in range(r.choice([0, 1, 2, 2, 3, 4, 6]))]
        sig = ["self"] if method else []
        defaults = False
        for p in params:
            if r.random() < 0.3:
                sig.append(f"{p}: {r.choice(TYPES)}")
            else:
                sig.append(p)
            if defaults or r.random() < 0.1:
                defaults = True
                sig[-1] += f"={r.choice(['None', '0', repr('x'), '[]', '{}'])}"
        if r.random() < 0.2:
            self.emit(indent, r.choice(["@lru_cache(maxsize=None)", "@staticmethod" if method
                                        else "@wraps(print)", "@property" if method else
                                        "@functools.cache"]))
            if "@staticmethod" in self.lines[-1]:
                sig = sig[1:]
            if "@property" in self.lines[-1]:
                sig = ["self"]
                params = []
        prefix = "async def" if r.random() < 0.08 else "def"
        ret = f" -> {r.choice(TYPES)}" if r.random() < 0.4 else ""
        self.emit(indent, f"{prefix} {self.func_name()}({', '.join(sig)}){ret}:")
        if r.random() < 0.6:
            self.emit(indent + 1, f'"""{r.choice(VERBS).capitalize()} the {r.choice(NOUNS)}."""')
        names = list(params) + (["self"] if method else [])
        start = len(self.lines)
        self.block(indent + 1, names, 0, r.randint(2, 12))
        if r.random() < 0.7:
            self.emit(indent + 1, f"return {self.expr(names)}")
        if indent == 0:
            self.bodies.append(self.lines[start:])

    def klass(self) -> None:
        r = self.r
        if r.random() < 0.3:
            self.emit(0, "@dataclass")
        base = r.choice(["", "(object)", "(Exception)", "(dict)"])
        self.emit(0, f"class {r.choice(NOUNS).capitalize()}{self.counter}{base}:")
        self.counter += 1
        self.emit(1, f'"""A {r.choice(NOUNS)} {r.choice(NOUNS)}."""')
        for _ in range(r.randint(0, 3)):
            self.emit(1, f"{self.name()}: {r.choice(TYPES)} = {r.randint(0, 9)}")
        self.emit(0, "")
        for _ in range(r.randint(1, 7)):
            self.function(1, method=True)
            self.emit(0, "")

    def module(self, lines: int) -> str:
        r = self.r
        self.emit(0, f'"""{r.choice(VERBS).capitalize()} {r.choice(NOUNS)}s."""')
        self.emit(0, "")
        self.emit(0, "from __future__ import annotations")
        self.emit(0, "")
        for mod in sorted(r.sample(MODULES, r.randint(2, 7))):
            self.emit(0, f"import {mod}")
        for mod, names in r.sample(FROM_IMPORTS, r.randint(1, 3)):
            self.emit(0, f"from {mod} import {', '.join(sorted(r.sample(names, 2)))}")
        self.emit(0, "")
        self.emit(0, "logger = logging.getLogger(__name__)")
        self.emit(0, f"MAX_{r.choice(NOUNS).upper()} = {r.randint(1, 100)}")
        self.emit(0, "")
        while len(self.lines) < lines:
            self.emit(0, "")
            if r.random() < 0.3:
                self.klass()
            else:
                self.function(0)
            if r.random() < 0.05 and self.bodies:  # a copy-pasted function body
                self.emit(0, "")
                self.emit(0, f"def {self.func_name()}(*args, **kwargs):")
                self.lines.extend(r.choice(self.bodies))
        return "\n".join(self.lines) + "\n"


def generate_module(seed: int, lines: int) -> str:
    """One module of about ``lines`` lines that parses (regenerated with a new seed if not)."""
    for attempt in range(100):
        source = _Gen(random.Random(seed * 1000 + attempt)).module(lines)
        try:
            ast.parse(source)
            return source
        except SyntaxError:
            continue
    raise RuntimeError(f"no valid module for seed {seed}")


def generate_corpus(seed: int = 1234, files: int = 200, lines_per_file: int = 330
                    ) -> dict[str, str]:
    rng = random.Random(seed)
    out = {}
    for index in range(files):
        size = max(20, int(rng.gauss(lines_per_file, lines_per_file / 3)))
        out[f"module_{index:03d}.py"] = generate_module(rng.randrange(1 << 30), size)
    return out


def write_corpus(directory: Path, **kwargs) -> dict[str, str]:
    corpus = generate_corpus(**kwargs)
    directory.mkdir(parents=True, exist_ok=True)
    for name, source in corpus.items():
        (directory / name).write_text(source, encoding="utf-8")
    return corpus


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--lines", type=int, default=330)
    parser.add_argument("--seed", type=int, default=1234)
    ns = parser.parse_args()
    corpus = write_corpus(ns.out, seed=ns.seed, files=ns.files, lines_per_file=ns.lines)
    total = sum(src.count("\n") for src in corpus.values())
    print(f"wrote {len(corpus)} files, {total} lines to {ns.out}")
