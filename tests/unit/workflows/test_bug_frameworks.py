"""mutable-class-attribute is not reported where a framework manages the class.

The rule reports an attribute only when a method changes it in place, so every
fixture's class attributes are changed by a method (``_mutating``): what is left
to tell reported from not is whether a framework manages the class.
"""

from __future__ import annotations

import re
import textwrap

import pytest

from keel.workflows.analyzers.bugs import find_bugs as _find_bugs

RULE = "mutable-class-attribute"
_ATTRIBUTE = re.compile(r"^(\s+)(\w+)\s*(?::[^=\n]*)?=\s*(?:\[|\{|dict\(|list\(|set\()", re.M)


def _mutating(source: str) -> str:
    """``source`` with a method after each mutable class attribute that appends to it."""
    return _ATTRIBUTE.sub(lambda m: f"{m.group(1)}def _touch_{m.group(2)}(self):\n"
                                    f"{m.group(1)}    self.{m.group(2)}.append(0)\n{m.group(0)}",
                          source)


def find_bugs(source, path=None):
    return _find_bugs(_mutating(source), path)

MANAGED = {
    "pydantic": "from pydantic import BaseModel\nclass M(BaseModel):\n    xs: list[int] = []\n",
    "pydantic-alias": "from pydantic import BaseModel as B\nclass M(B):\n    xs: list = []\n",
    "pydantic-module-alias": "import pydantic as pd\nclass M(pd.BaseModel):\n    xs: dict = {}\n",
    "pydantic-settings": "from pydantic_settings import BaseSettings\n"
                         "class S(BaseSettings):\n    hosts: list[str] = []\n",
    "pydantic-rootmodel": "from pydantic import RootModel\n"
                          "class R(RootModel[list[int]]):\n    root: list[int] = []\n",
    "pydantic-local-subclass": "from pydantic import BaseModel\nclass Wire(BaseModel):\n    pass\n"
                               "class M(Wire):\n    xs: list = []\n",
    "pydantic-subclass-defined-first": "class M(Wire):\n    xs: list = []\n"
                                       "from pydantic import BaseModel\n"
                                       "class Wire(BaseModel):\n    pass\n",
    "pydantic-v1-config": "from pydantic import BaseModel\nclass M(BaseModel):\n"
                          "    class Config:\n        json_encoders = {}\n",
    "dataclass": "from dataclasses import dataclass\n@dataclass\nclass D:\n    xs: list = []\n",
    "dataclasses.dataclass": "import dataclasses\n@dataclasses.dataclass(frozen=True)\n"
                             "class D:\n    xs: list = []\n",
    "dataclass-field-factory": "from dataclasses import dataclass, field\n@dataclass\nclass D:\n"
                               "    xs: list = field(default_factory=list)\n",
    "attr.s": "import attr\n@attr.s\nclass A:\n    xs = attr.ib(factory=list)\n    ys = []\n",
    "attrs.define": "import attrs\n@attrs.define\nclass A:\n    xs: list = []\n",
    "attrs-define-bare": "from attrs import define, field\n@define\nclass A:\n"
                         "    xs: list = field(factory=list)\n    ys: list = []\n",
    "attrs-frozen": "from attr import frozen\n@frozen\nclass A:\n    xs: list = []\n",
    "msgspec": "import msgspec\nclass S(msgspec.Struct):\n    xs: list[int] = []\n",
    "namedtuple": "from typing import NamedTuple\nclass P(NamedTuple):\n    xs: list = []\n",
    "typeddict": "import typing as t\nclass T(t.TypedDict):\n    xs: list\n    ys: dict = {}\n",
    "classvar": "from typing import ClassVar\nclass C:\n    registry: ClassVar[dict] = {}\n",
    "classvar-qualified": "import typing\nclass C:\n    registry: typing.ClassVar[list] = []\n",
    "classvar-string": "from typing import ClassVar\nclass C:\n    r: 'ClassVar[list]' = []\n",
    "sqlalchemy-declarative-base": "from sqlalchemy.orm import DeclarativeBase, mapped_column\n"
                                   "class Base(DeclarativeBase):\n    pass\n"
                                   "class User(Base):\n    tags = []\n"
                                   "    name = mapped_column(default=[])\n",
    "sqlalchemy-declarative_base()": "from sqlalchemy.orm import declarative_base, relationship\n"
                                     "from sqlalchemy import Column, JSON\n"
                                     "Base = declarative_base()\nclass User(Base):\n"
                                     "    data = Column(JSON, default={})\n    extra = []\n"
                                     "    kids = relationship('Kid')\n",
    "django": "from django.db import models\nclass Book(models.Model):\n"
              "    tags = models.JSONField(default=list)\n    class Meta:\n"
              "        ordering = ['name']\n        indexes = []\n",
    "ctypes-structure": "import ctypes\nfrom ctypes import c_int\nclass P(ctypes.Structure):\n"
                        "    _fields_ = [('x', c_int)]\n",
    "enum": "import enum\nclass Colour(enum.Enum):\n    RED = []\n    blue = []\n",
}

STILL_REPORTED = {
    "plain": "class C:\n    items = []\n",
    "plain-annotated": "class C:\n    items: list[int] = []\n",
    "plain-dict-call": "class C:\n    cache = dict()\n",
    "unimported-name-BaseModel": "class BaseModel:\n    pass\nclass M(BaseModel):\n    xs = []\n",
    "unrelated-decorator": "import functools\n@functools.total_ordering\nclass C:\n    xs = []\n",
    "pydantic-lookalike-module": "import mymodels as pydantic\n"
                                 "class M(pydantic.BaseModel):\n    xs = []\n",
    "other-class-in-managed-module": "from pydantic import BaseModel\n"
                                     "class M(BaseModel):\n    xs: list = []\n"
                                     "class Plain:\n    ys = []\n",
    "meta-outside-framework": "class Plain:\n    class Meta:\n        ordering = []\n",
    "dataclass-not-applied": "from dataclasses import dataclass, field\n"
                             "class D:\n    xs: list = []\n",
}


@pytest.mark.parametrize("source", MANAGED.values(), ids=MANAGED.keys())
def test_framework_managed_defaults_are_not_reported(source):
    assert [h for h in find_bugs(source) if h.rule == RULE] == []


@pytest.mark.parametrize("source", STILL_REPORTED.values(), ids=STILL_REPORTED.keys())
def test_plain_mutable_class_attributes_are_still_reported(source):
    assert [h.rule for h in find_bugs(source) if h.rule == RULE] == [RULE]


def _package(tmp_path, files: dict[str, str]):
    for rel, text in files.items():
        target = tmp_path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_mutating(textwrap.dedent(text)))
    return tmp_path


READ_ONLY = {
    "django-error-messages": "class F:\n    default_error_messages = {'required': 'x'}\n"
                             "    def clean(self, v):\n        return self.default_error_messages[v]\n",
    "migration": "class Migration:\n    dependencies = []\n    operations = []\n",
    "copied-before-change": "class C:\n    items = []\n    def __init__(self):\n"
                            "        self.items = list(self.items)\n        self.items.append(1)\n",
    "other-object-changed": "class C:\n    items = []\n    def f(self, other):\n"
                            "        other.items.append(1)\n",
}
CHANGED = {
    "append": "class C:\n    items = []\n    def f(self):\n        self.items.append(1)\n",
    "through-cls": "class C:\n    seen = set()\n    @classmethod\n    def f(cls, x):\n"
                   "        cls.seen.add(x)\n",
    "subscript": "class C:\n    table = {}\n    def f(self, k):\n        self.table[k] = 1\n",
    "augmented": "class C:\n    items = []\n    def f(self):\n        self.items += [1]\n",
    "delete": "class C:\n    table = {}\n    def f(self, k):\n        del self.table[k]\n",
}


@pytest.mark.parametrize("source", READ_ONLY.values(), ids=READ_ONLY.keys())
def test_class_level_tables_no_method_changes_are_not_reported(source):
    assert [h for h in _find_bugs(source) if h.rule == RULE] == []


@pytest.mark.parametrize("source", CHANGED.values(), ids=CHANGED.keys())
def test_a_shared_default_a_method_changes_in_place_is_reported(source):
    (hit,) = [h for h in _find_bugs(source) if h.rule == RULE]
    assert "changes it in place" in hit.message and "C.f" in hit.message


def test_subclass_of_a_model_from_another_module_is_recognised_with_the_path(tmp_path):
    root = _package(tmp_path, {
        "pkg/__init__.py": "from .base import Wire as Wire\n",
        "pkg/base.py": "from pydantic import BaseModel\nclass Wire(BaseModel):\n    pass\n",
        "pkg/models.py": "from .base import Wire\nclass M(Wire):\n    xs: list = []\n",
        "pkg/reexport.py": "from pkg import Wire\nclass M(Wire):\n    xs: list = []\n",
        "pkg/plain.py": "from .helpers import Thing\nclass M(Thing):\n    xs: list = []\n",
        "pkg/helpers.py": "class Thing:\n    pass\n",
    })
    def hits(name):
        path = root / "pkg" / name
        return [h.rule for h in _find_bugs(path.read_text(), path) if h.rule == RULE]
    assert hits("models.py") == []
    assert hits("reexport.py") == []
    assert hits("plain.py") == [RULE]  # the base is a plain class: still shared state


def test_import_cycles_and_missing_modules_do_not_break_resolution(tmp_path):
    root = _package(tmp_path, {
        "pkg/a.py": "from .b import B\nclass A(B):\n    xs = []\n",
        "pkg/b.py": "from .a import A\nclass B(A):\n    ys = []\n",
        "pkg/c.py": "from .missing import X\nfrom ... import nothing\nclass C(X):\n    zs = []\n",
    })
    for name in ("a.py", "b.py", "c.py"):
        path = root / "pkg" / name
        assert [h.rule for h in _find_bugs(path.read_text(), path)] == [RULE]


def test_an_edited_base_module_is_read_again(tmp_path):
    root = _package(tmp_path, {
        "pkg/base.py": "class Wire:\n    pass\n",
        "pkg/models.py": "from .base import Wire\nclass M(Wire):\n    xs: list = []\n",
    })
    models = root / "pkg" / "models.py"
    assert [h.rule for h in _find_bugs(models.read_text(), models)] == [RULE]
    (root / "pkg" / "base.py").write_text(
        "from pydantic import BaseModel\n\n\nclass Wire(BaseModel):\n    pass\n")
    assert _find_bugs(models.read_text(), models) == []
