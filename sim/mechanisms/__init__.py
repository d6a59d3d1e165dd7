"""The model's mechanisms, one module each; every function updates SystemState arrays in place."""
