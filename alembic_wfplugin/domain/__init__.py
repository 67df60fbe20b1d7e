"""Domain models: products, product blocks, resource types and fixed inputs (``SUBSCRIPTION_MODEL_REGISTRY``),
compared and migrated like workflows. Switched on with ``wfplugin_domain_models=True``. Readers
(``declared``, ``defined``), the pure core (``model``, ``usage``, ``renames``, ``guards``, ``problems``,
``diff``), the kind's comparison for the shell (``comparison``) and its operations with their rendering
(``ops``, ``render``)."""
