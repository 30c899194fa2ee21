"""Field extractors: one module per field of the output contract."""
