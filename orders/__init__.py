"""Ready to infuse: treatment orders, insurance authorizations, body size and cumulative dose,
allergies, and what each session costs by site of care (issue 14)."""
