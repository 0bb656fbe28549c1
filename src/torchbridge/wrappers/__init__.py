"""``torchbridge.wrappers`` (``keras.wrappers``): torchbridge models as scikit-learn
estimators — :class:`SKLearnClassifier`, :class:`SKLearnRegressor`,
:class:`SKLearnTransformer`. Needs scikit-learn (``pip install torchbridge[sklearn]``);
``import torchbridge`` loads this package only when ``torchbridge.wrappers`` is used.
"""

from torchbridge.wrappers.estimators import (
    SKLearnClassifier,
    SKLearnRegressor,
    SKLearnTransformer,
)

__all__ = ["SKLearnClassifier", "SKLearnRegressor", "SKLearnTransformer"]
