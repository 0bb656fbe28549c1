"""Keras preprocessing layers: state learned with ``adapt`` and saved with the model."""
