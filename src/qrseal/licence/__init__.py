"""The driving-licence credential: field specs and rules, the model, its compact wire form,
the China profile and the constants binding the wire layers to the licence."""
