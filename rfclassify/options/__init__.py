"""Options declared once: dataclass fields that say how people give them.

:mod:`~rfclassify.options.declare` holds the machinery (an :class:`Option`
is a field's public name, kind, help, unit and default; :func:`declared`
lists a dataclass's options, nested groups included; :func:`parse_values`
and :func:`build` turn people's values into the dataclass);
:mod:`~rfclassify.options.kinds` the kinds of value (frequency, duration,
size, …) and :mod:`~rfclassify.options.array` the array-geometry group.
The click options of a command (:func:`rfclassify.cli.options.declared_options`),
the keys of ``node.toml`` and the keywords of :func:`rfclassify.watch` are
generated from these declarations (see :mod:`rfclassify.node.options`).
"""
