"""A WordPiece (BERT) tokenizer inside ONNX, and ``hf.TextClassifier`` exported strings → scores.

Public functions::

    wordpiece_tokenizer_graph(
        tokenizer,                   # a transformers BERT-style (WordPiece) tokenizer
        max_length: int,             # as TextClassifier.max_length ([CLS] and [SEP] included)
        input_name: str = "text",
        outputs: Sequence[str] = ("input_ids", "attention_mask", "token_type_ids"),
        opset: int = 18,
    ) -> onnx.ModelProto
        # string [N] -> int64 [N, longest] per output, padded on the right with the
        # pad id (0 in the mask) to the longest text of the batch, cut at max_length.

    export_text_classifier(
        classifier,                  # torchbridge.hf.TextClassifier
        filepath: str | os.PathLike[str] | None = None,
        function_to_apply: str | None = None,   # as TextClassifier.predict_proba
        opset: int = 18,
    ) -> onnx.ModelProto
        # string [N] "text" -> float32 [N, num_labels] "probabilities" (written to
        # filepath when given).

The tokenizer runs onnxruntime-extensions' ``BertTokenizer`` operator once per
text (an ONNX ``Loop``), so an ``InferenceSession`` with the extensions library
registered (:func:`torchbridge.export.onnx_strings.session_options`) takes raw
strings.
"""
