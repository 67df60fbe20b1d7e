"""Workflow registration: the code's ``LazyWorkflowInstance`` declarations against the ``workflows`` and
``products_workflows`` tables. Readers (``declared``, ``source``, ``defined``), the pure core (``model``,
``links``, ``diff``), and the operations with their rendering (``ops``, ``render``); the shared shell
(comparator, options, compat, rendering helpers) lives one level up."""
