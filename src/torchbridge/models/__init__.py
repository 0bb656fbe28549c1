"""Models (``keras.models``): the :class:`Model` facade (an ``nn.Module`` with Keras's
training API), ``Sequential``, functional models, cloning, saving and loading."""

from torchbridge.models.cloning import clone_model
from torchbridge.models.functional import Functional
from torchbridge.models.loading import load_model, model_from_json, save_model
from torchbridge.models.model import Model
from torchbridge.models.sequential import Sequential
from torchbridge.models.wrapped import WrappedModel

__all__ = [
    "Functional",
    "Model",
    "Sequential",
    "WrappedModel",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
