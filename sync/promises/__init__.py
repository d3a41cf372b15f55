"""Promise conflicts: a store sold units HQ had promised to an order; the incident and its way out."""
