"""Workflow registration: the code's ``LazyWorkflowInstance`` declarations against the ``workflows`` and
``products_workflows`` tables. Readers (``declared``, ``source`` and ``module_files`` with their memory
``remembered``, ``defined``), the pure core (``model``, ``links``, ``checks``, ``diff``, ``changes``),
the kind's comparison for the shell (``comparison``) and its operations with their rendering (``ops``,
``render``); the shared shell (comparator, kinds, options, cache, compat, rendering helpers) lives one
level up."""
