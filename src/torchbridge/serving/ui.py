"""A Gradio demo page for a model: :func:`build_ui` and :func:`launch_ui` (``torchbridge serve --ui``).

What the page shows depends on what the model takes (see
:class:`torchbridge.serving.predictions.Predictor`):

* a text classifier (an :class:`~torchbridge.hf.TextClassifier` bundle, or a
  Keras model on raw strings ending in softmax/sigmoid): a text box, a
  *Classify* button (Enter submits too) and a Label with every class's score;
  class names are the bundle's label names, else ``label_names=``, else the
  class indices. A text model that is not a classifier shows its outputs as JSON.
* a numeric model: a table with one column per input feature (add rows to
  predict several examples at once) and a table of the outputs, plus a Label
  for the first row when the model is a classifier.

The page's elements have stable ids (``tb-input``, ``tb-submit``, ``tb-label``,
``tb-outputs``) so browser tests and scripts can drive it. ``gradio`` is an
optional dependency (``pip install 'torchbridge[ui]'``), imported only here,
when a page is built.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from torchbridge.serving.predictions import Predictor, as_predictor

__all__ = ["build_ui", "launch_ui", "ELEMENT_IDS", "INSTALL_HINT"]

INSTALL_HINT = "pip install 'torchbridge[ui]'"
#: The ids of the page's elements (for browser tests and scripts).
ELEMENT_IDS = {
    "input": "tb-input",
    "submit": "tb-submit",
    "label": "tb-label",
    "outputs": "tb-outputs",
}


def _gradio() -> Any:
    try:
        return importlib.import_module("gradio")
    except ImportError as exc:
        raise ImportError(
            "The torchbridge UI needs the optional package 'gradio', which is not installed. "
            f"Install the UI extra: {INSTALL_HINT}"
        ) from exc


def _text_page(gr: Any, predictor: Predictor, top_k: int | None, examples: Any) -> None:
    text = gr.Textbox(
        label="Text",
        lines=1,  # one line: Enter submits (a multi-line box submits on Shift+Enter)
        max_lines=6,
        placeholder="Type a sentence and press Enter…",
        elem_id=ELEMENT_IDS["input"],
    )
    button = gr.Button("Classify", variant="primary", elem_id=ELEMENT_IDS["submit"])
    if predictor.is_classifier:
        output = gr.Label(num_top_classes=top_k, label="Prediction", elem_id=ELEMENT_IDS["label"])
    else:
        output = gr.JSON(label="Outputs", elem_id=ELEMENT_IDS["outputs"])

    def classify(value: str) -> Any:
        outputs = predictor.predict([value if value is not None else ""])
        if predictor.is_classifier:
            return predictor.labels(outputs)[0]["scores"]
        return np.asarray(outputs[0]).tolist()

    gr.on([button.click, text.submit], classify, inputs=text, outputs=output, api_name="classify")
    if examples:
        gr.Examples(examples=[[str(e)] for e in examples], inputs=text)


def _rows(gr: Any, table: Any, width: int) -> list[list[float]]:
    """The numeric rows of the input table (empty rows dropped); a gr.Error for anything else."""
    values = np.asarray(table.values if hasattr(table, "values") else table, dtype=object)
    values = values.reshape(-1, width) if values.size else values.reshape(0, width)
    rows = []
    for i, row in enumerate(values):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        try:
            rows.append([float(v) for v in row])
        except (TypeError, ValueError):
            raise gr.Error(f"Row {i + 1} has a value that is not a number: {list(row)}.") from None
    if not rows:
        raise gr.Error(f"Enter {width} numbers in a row of the table.")
    return rows


def _numeric_page(gr: Any, predictor: Predictor, top_k: int | None, examples: Any) -> None:
    width = predictor.input_width or 1
    headers = [f"x{i}" for i in range(width)]
    table = gr.Dataframe(
        value=[[0.0] * width],
        headers=headers,
        column_count=width,
        row_count=1,
        datatype="number",
        type="array",
        interactive=True,
        label=f"Inputs ({width} features per row)",
        elem_id=ELEMENT_IDS["input"],
    )
    button = gr.Button("Predict", variant="primary", elem_id=ELEMENT_IDS["submit"])
    out_names = predictor.label_names or [f"y{i}" for i in range(max(predictor.num_outputs, 1))]
    result = gr.Dataframe(
        headers=out_names,
        datatype="number",
        interactive=False,
        label="Outputs",
        elem_id=ELEMENT_IDS["outputs"],
    )
    targets = [result]
    if predictor.is_classifier:
        targets.append(
            gr.Label(num_top_classes=top_k, label="First row", elem_id=ELEMENT_IDS["label"])
        )

    def predict(value: Any) -> Any:
        rows = _rows(gr, value, width)
        outputs = predictor.predict(rows)
        shown = predictor.scores(outputs) if predictor.is_classifier else outputs
        frame = np.asarray(shown, dtype="float64").reshape(len(rows), -1).tolist()
        if predictor.is_classifier:
            return frame, predictor.labels(outputs)[0]["scores"]
        return frame

    button.click(predict, inputs=table, outputs=targets, api_name="predict")
    if examples:
        gr.Examples(examples=[[[list(map(float, e))]] for e in examples], inputs=table)


def build_ui(
    model: Any,
    *,
    label_names: Sequence[str] | None = None,
    title: str | None = None,
    description: str | None = None,
    examples: Sequence[Any] | None = None,
    top_k: int | None = None,
) -> Any:
    """A ``gradio.Blocks`` page for ``model``.

    Args:
        model: a torchbridge/Keras model, a ``TextClassifier``, a saved model
            path or bundle folder, or a serving runner.
        label_names: class names of a Keras classifier (a bundle has its own).
        title: the page title (default: the model's name).
        description: Markdown shown under the title.
        examples: example texts (or numeric rows) shown under the input.
        top_k: how many classes the Label lists (default: all).
    """
    gr = _gradio()
    predictor = as_predictor(model, label_names=label_names)
    inner = predictor.model
    name = title or getattr(inner, "name", None) or type(inner).__name__
    with gr.Blocks(title=str(name), analytics_enabled=False) as page:
        gr.Markdown(f"# {name}")
        if description:
            gr.Markdown(description)
        if predictor.kind == "text":
            _text_page(gr, predictor, top_k, examples)
        else:
            _numeric_page(gr, predictor, top_k, examples)
    return page


def launch_ui(
    model: Any,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    block: bool = True,
    share: bool = False,
    quiet: bool = False,
    **build_kwargs: Any,
) -> Any:
    """Build the page (:func:`build_ui`) and serve it at ``http://host:port``.

    ``block=True`` serves until interrupted (Ctrl-C); ``block=False`` returns
    the running ``gradio.Blocks`` at once (stop it with ``.close()``).
    ``share=True`` asks Gradio for a public link (needs the internet).
    """
    page = build_ui(model, **build_kwargs)
    page.launch(
        server_name=host,
        server_port=int(port),
        share=share,
        prevent_thread_lock=not block,
        quiet=quiet,
        inbrowser=False,
        footer_links=["api"],
    )
    return page
