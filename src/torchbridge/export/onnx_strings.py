"""Raw-string preprocessing inside ONNX graphs: strings in, what the layer returns out.

``TextVectorization``, ``StringLookup`` and ``IntegerLookup`` become ONNX
graphs built from standard ONNX operators, ``ai.onnx.ml.LabelEncoder`` (the
vocabulary lookup) and onnxruntime-extensions' string operators
(``ai.onnx.contrib`` domain: ``StringRegexReplace``,
``StringRegexSplitWithOffsets``). ONNX Runtime runs them once the
extensions library is registered::

    import onnxruntime as ort, onnxruntime_extensions as ortx
    options = ort.SessionOptions()
    options.register_custom_ops_library(ortx.get_library_path())   # or session_options()
    session = ort.InferenceSession(path, options)

Public functions (the exporter calls these)::

    string_preprocessing_graph(
        layer,                       # TextVectorization | StringLookup | IntegerLookup
        input_name: str = "inputs",
        output_name: str = "outputs",
        opset: int = 18,
    ) -> onnx.ModelProto
        # TextVectorization: string [N] -> int64 [N, L] ("int"), int64 [N, depth]
        # ("multi_hot", "count") or float32 [N, depth] ("tf_idf").
        # StringLookup: string tensor of any shape -> int64 of that shape ("int");
        # IntegerLookup: int64 tensor -> int64. Raises ExportError naming the
        # option when the result could differ from the layer's.

    prepend_string_preprocessing(
        preprocessing: onnx.ModelProto,
        model: onnx.ModelProto,
        model_input: str | None = None,   # default: the model's first input
        prefix: str = "preprocessing/",
    ) -> onnx.ModelProto
        # preprocessing's output feeds ``model_input`` (cast int64 -> the model
        # input's integer/float type when they differ); the result takes the
        # preprocessing's inputs plus the model's other inputs.

    session_options() -> onnxruntime.SessionOptions   # extensions registered

Exactness: every option combination accepted here gives the layer's output
exactly (integers equal, tf-idf floats bit-equal), as TensorFlow's string ops
do in Keras: ``"lower"`` lowercases ASCII letters only (26 literal regex
replacements: onnxruntime-extensions' ``StringLower`` lowercases all of
Unicode), ``"strip_punctuation"`` deletes the 32 ASCII punctuation
characters, ``"whitespace"`` splits on runs of ASCII whitespace and
``"character"`` on Unicode code points. What cannot be expressed exactly is
refused with :class:`~torchbridge.export.errors.ExportError`: a callable
``standardize`` / ``split``, ``ngrams``, ``num_oov_indices`` other than 1 for
strings (Keras hashes the extra OOV buckets with FarmHash Fingerprint64, which
no ONNX Runtime operator computes) or 0 (the layer raises on an unknown
token; a graph cannot), ``invert=True``, ``one_hot``, a non-UTF-8
``encoding``, ``ragged``/``sparse`` outputs.

``onnx``, ``onnxruntime`` and ``onnxruntime_extensions`` are imported inside
the functions (the ``export`` extra installs them).
"""
