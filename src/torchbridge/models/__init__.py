"""Models: the :class:`Model` facade (an ``nn.Module`` with Keras's training API)."""

from torchbridge.models.functional import Functional
from torchbridge.models.loading import load_model
from torchbridge.models.model import Model
from torchbridge.models.sequential import Sequential
from torchbridge.models.wrapped import WrappedModel

__all__ = ["Functional", "Model", "Sequential", "WrappedModel", "load_model"]
