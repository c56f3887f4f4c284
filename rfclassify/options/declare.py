"""Options declared as dataclass fields, and the one path from people's values to the dataclass.

A field made with :func:`option` carries an :class:`Option` in its metadata:
the public name (``update_interval``; ``--update-interval`` on the command
line, ``update-interval`` or ``update_interval`` in TOML, the keyword
``update_interval``), the :class:`~rfclassify.options.kinds.Kind` that parses
it, help text, unit and default. A field made with :func:`group` nests
another declared dataclass (its options are offered flat, next to the
outer ones) and may convert it (the array options become an
:class:`~rfclassify.bearing.geometry.ArrayGeometry`). Fields without either
are internal tuning, not offered to people.

:func:`declared` lists a dataclass's options (groups expanded);
:func:`parse_values` checks and parses ``{name: value}`` from any surface
(unknown names and bad values are one-line
:class:`~rfclassify.errors.InputError`\\ s); :func:`build` makes the dataclass.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from rfclassify.errors import InputError
from rfclassify.options.kinds import Kind

_OPTION = "rfclassify.option"
_GROUP = "rfclassify.group"
_SAME = object()  # cli_default not given: the command line uses the default


@dataclasses.dataclass(frozen=True)
class Option:
    """How one value is offered to people.

    ``name`` is the public name with underscores; ``default`` is the value
    when it is not given (``cli_default``, if set, replaces it on the command
    line only); ``unit`` is the unit of the parsed value (``Hz``, ``s``,
    ``bytes``, ``degrees`` …); ``low``/``high`` bound it (``low_open``: above
    ``low``, not at it); ``short`` is a one-letter command-line alias
    (``-o``); ``metavar`` overrides the kind's placeholder; ``repeat`` makes a
    list option repeatable on the command line; ``field`` is the dataclass
    field it sets (empty for a command-only option).
    """

    name: str
    kind: Kind
    help: str
    default: Any = None
    unit: str = ""
    cli_default: Any = _SAME
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    short: str = ""
    metavar: str = ""
    repeat: bool = False
    field: str = ""

    @property
    def flag(self) -> str:
        """The command-line spelling: ``--update-interval``."""
        return "--" + self.name.replace("_", "-")

    @property
    def command_default(self) -> Any:
        """The default on the command line."""
        return self.default if self.cli_default is _SAME else self.cli_default

    def show(self, value: Any) -> str:
        """``value`` as people write it (``0.5s``, ``2G``, ``915M``)."""
        return "none" if value is None else self.kind.show(value)

    def bounds(self) -> str:
        """The bounds as text (``0..1``, ``>= 1``, ``> 0``), empty if none."""
        if self.low is not None and self.high is not None:
            return f"{self.low:g}..{self.high:g}"
        if self.low is not None:
            return f"{'>' if self.low_open else '>='} {self.low:g}"
        return f"<= {self.high:g}" if self.high is not None else ""

    def check(self, value: Any) -> None:
        """Raise ``ValueError`` if ``value`` is not one of the choices or is outside the bounds."""
        if value is None:
            return
        if self.kind.choices and value not in self.kind.choices:
            raise ValueError(f"expected one of {', '.join(self.kind.choices)}, not {value!r}")
        if self.low is None and self.high is None:
            return
        if self.low is not None and self.high is not None and not self.low <= value <= self.high:
            raise ValueError(f"must be within {self.low:g}..{self.high:g}, not {value:g}")
        if self.low is not None and (value <= self.low if self.low_open else value < self.low):
            raise ValueError(f"must be {'above' if self.low_open else 'at least'} {self.low:g}, not {value:g}")
        if self.high is not None and value > self.high:
            raise ValueError(f"must be at most {self.high:g}, not {value:g}")

    def parse(self, value: Any) -> Any:
        """The parsed, bounds-checked value; ``ValueError`` with a one-line message if unusable."""
        try:
            parsed = self.kind.parse(value)
        except TypeError as exc:  # a value of the wrong type: the same one-line refusal
            raise ValueError(str(exc)) from None
        self.check(parsed)
        return parsed

    def describe(self) -> str:
        """One line for a docstring: name, kind, unit, default, help."""
        kind = f"one of {', '.join(self.kind.choices)}" if self.kind.choices else self.kind.name
        unit = f", {self.unit}" if self.unit else ""
        default = f"default {self.show(self.default)}"
        if self.cli_default is not _SAME:
            default += f", {self.show(self.cli_default)} on the command line"
        return f"{self.name} ({kind}{unit}; {default}): {self.help}"


@dataclasses.dataclass(frozen=True)
class Group:
    """A nested declared dataclass: ``cls``, an optional ``convert`` of it, and whether it is ``atomic``.

    An atomic group is one option where sources merge: any of its options
    given on the command line replaces all of them from a config file.
    """

    cls: type
    title: str
    convert: Callable[[Any], Any] | None = None
    atomic: bool = False


def option(name: str, kind: Kind, help: str, *, default: Any = None, **more: Any) -> Any:
    """A dataclass field offered to people as ``name`` (see :class:`Option` for ``more``)."""
    return dataclasses.field(
        default=default, metadata={_OPTION: Option(name, kind, help, default=default, **more)}
    )


def group(cls: type, title: str, *, convert: Callable[[Any], Any] | None = None, atomic: bool = False) -> Any:
    """A dataclass field holding the declared dataclass ``cls`` (or ``convert`` of it)."""
    info = Group(cls, title, convert, atomic)
    factory: Callable[[], Any] = cls if convert is None else (lambda: convert(cls()))
    return dataclasses.field(default_factory=factory, metadata={_GROUP: info})


@functools.cache
def declared(cls: type) -> tuple[Option, ...]:
    """Every option of dataclass ``cls`` in field order, nested groups expanded in place.

    Raises ``TypeError`` if two options share a name (a declaration bug).
    """
    out: list[Option] = []
    for f in dataclasses.fields(cls):
        if _OPTION in f.metadata:
            out.append(dataclasses.replace(f.metadata[_OPTION], field=f.name))
        elif _GROUP in f.metadata:
            out.extend(declared(f.metadata[_GROUP].cls))
    names = [o.name for o in out]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise TypeError(f"{cls.__name__} declares {', '.join(twice)} more than once")
    return tuple(out)


def named(cls: type, *names: str) -> tuple[Option, ...]:
    """The options of ``cls`` called ``names``, in that order (for a command that shares some of them)."""
    by_name = {o.name: o for o in declared(cls)}
    return tuple(by_name[n] for n in names)


def groups(cls: type) -> list[tuple[Group, tuple[str, ...]]]:
    """The groups of ``cls`` (at any depth) with the names of their options."""
    out: list[tuple[Group, tuple[str, ...]]] = []
    for f in dataclasses.fields(cls):
        if _GROUP in f.metadata:
            info: Group = f.metadata[_GROUP]
            out.append((info, tuple(o.name for o in declared(info.cls))))
            out.extend(groups(info.cls))
    return out


def parse_values(
    options: Iterable[Option], values: Mapping[str, Any], where: object, *, dashed: bool = False
) -> dict[str, Any]:
    """Parse ``{name: value}`` (names with ``-`` or ``_``) into ``{name: parsed}`` (underscored names).

    ``None`` means "not given" and is left out. Raises :class:`InputError`
    at ``where`` for an unknown name (listing the known ones, with dashes if
    ``dashed``) or an unusable value.
    """
    by_name = {o.name: o for o in options}
    out: dict[str, Any] = {}
    for raw_key, value in values.items():
        key = raw_key.replace("-", "_")
        opt = by_name.get(key)
        if opt is None:
            known = ", ".join(n.replace("_", "-") if dashed else n for n in by_name)
            raise InputError(where, f"unknown option {raw_key!r} (known: {known})")
        if value is None:
            continue
        try:
            out[key] = opt.parse(value)
        except ValueError as exc:
            raise InputError(where, f"{raw_key}: {exc}") from None
    return out


def construct(cls: type, parsed: Mapping[str, Any], where: object, **direct: Any) -> Any:
    """Make ``cls`` from parsed values (names of :func:`declared`); ``direct`` sets fields as they are.

    A group field given in ``direct`` refuses its options in ``parsed``.
    ``ValueError`` from the dataclass becomes :class:`InputError` at ``where``.
    """
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        info: Group | None = f.metadata.get(_GROUP)
        if f.name in direct:
            if info is not None:
                clash = [n for n in (o.name for o in declared(info.cls)) if n in parsed]
                if clash:
                    raise InputError(where, f"give {f.name}= or the {info.title} options ({', '.join(clash)}), not both")
            kwargs[f.name] = direct.pop(f.name)
        elif _OPTION in f.metadata:
            name = f.metadata[_OPTION].name
            if name in parsed:
                kwargs[f.name] = parsed[name]
        elif info is not None:
            inner = construct(info.cls, parsed, where)
            kwargs[f.name] = inner if info.convert is None else info.convert(inner)
    if direct:
        raise TypeError(f"{cls.__name__} has no field {', '.join(direct)}")
    try:
        return cls(**kwargs)
    except ValueError as exc:
        raise InputError(where, str(exc)) from None


def build(cls: type, values: Mapping[str, Any], where: object, **direct: Any) -> Any:
    """Parse ``values`` against the options of ``cls`` and make it (see :func:`construct`)."""
    return construct(cls, parse_values(declared(cls), values, where), where, **direct)


def check_fields(instance: Any) -> None:
    """Raise ``ValueError`` naming the option if a declared field of ``instance`` is not a choice or out of bounds.

    For ``__post_init__``: choices and bounds hold however the dataclass is made.
    """
    for f in dataclasses.fields(instance):
        opt: Option | None = f.metadata.get(_OPTION)
        if opt is not None:
            try:
                opt.check(getattr(instance, f.name))
            except ValueError as exc:
                raise ValueError(f"{opt.name}: {exc}") from None


def keyword_parameters(options: Iterable[Option]) -> list[inspect.Parameter]:
    """Keyword-only parameters (name and default) for a generated signature."""
    return [inspect.Parameter(o.name, inspect.Parameter.KEYWORD_ONLY, default=o.default) for o in options]
