"""Subcommands of the ``classicsr`` command line, discovered by :mod:`classicsr.cli`."""
