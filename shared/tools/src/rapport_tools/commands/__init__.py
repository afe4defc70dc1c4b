"""The ``rapport`` commands, one module per command or group; each has ``register(app)``.

Every module imports only the standard library, typer and :mod:`._common` at the top (so
``rapport --help`` stays fast: ``benchmarks/cli_startup.py``); what a command needs is imported
inside it.
"""
