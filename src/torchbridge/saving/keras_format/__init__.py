"""Keras 3's own file formats, read and written with h5py (an optional dependency).

* :mod:`.h5_layout`: where each weight of a model lives in Keras's weights tree;
* :mod:`.weights_h5`: ``.weights.h5`` files (``save_weights`` / ``load_weights``);
* :mod:`.optimizer_h5`: the optimizer's state as Keras's optimizer variables;
* :mod:`.own_variables`: layers with their own ``save_own_variables`` store in it;
* :mod:`.keras_archive`: ``.keras`` archives written by Keras 3 (``load_model``);
* :mod:`.legacy_h5`: whole-model ``.h5`` files (Keras 3's legacy writer, tf.keras 2);
* :mod:`.legacy_weights`: the legacy weights layout inside them, and tf.keras 2's
  ``save_weights("w.h5")`` files (by topological order or by name);
* :mod:`.tf_keras2`: tf.keras 2's spellings (configs, compile arguments, optimizer
  weight names) in Keras 3's terms.

h5py is imported only when a file is read or written.
"""

from torchbridge.saving.keras_format.weights_h5 import (
    H5_WEIGHTS_SUFFIX,
    load_weights_h5,
    save_weights_h5,
)

__all__ = ["H5_WEIGHTS_SUFFIX", "save_weights_h5", "load_weights_h5"]
