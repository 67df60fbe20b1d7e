"""Domain models: products, product blocks, resource types and fixed inputs (``SUBSCRIPTION_MODEL_REGISTRY``),
compared and migrated like workflows. Switched on with ``wfplugin_domain_models=True``."""
