"""The aiconsent vocabulary as shipped files: context, schema, shapes, terms and data tables."""
