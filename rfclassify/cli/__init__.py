"""Command line: parses arguments and calls builders; no signal processing lives here.

Each command is a module ``rfclassify/cli/<name>_cmd.py`` exposing ``command``
(a click command); :mod:`rfclassify.cli.main` discovers them.
"""
