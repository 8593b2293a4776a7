"""Pre-deploy gate: read deployment files as data, compare them with evidence, emit findings.

Nothing here executes the files it reads: YAML goes through ``yaml.safe_load``, Python through
``ast``, shell lines through ``shlex``.
"""
