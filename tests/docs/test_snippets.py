"""Every code block of the documentation runs and prints what its page says (see snippets.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from .snippets import outputs_match, page_flavours, parse_page, run_flavour

DOCS = Path(__file__).resolve().parents[2] / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if p.is_file())
RUNNABLE = [p for p in PAGES if any(not b.skip for b in parse_page(p))]


def test_every_page_is_collected() -> None:
    assert PAGES, "no documentation pages found"
    assert RUNNABLE, "no python blocks in docs/"


@pytest.mark.slow
@pytest.mark.parametrize("page", RUNNABLE, ids=[str(p.relative_to(DOCS)) for p in RUNNABLE])
def test_page_runs_and_prints_what_it_says(page: Path, tmp_path) -> None:
    blocks = parse_page(page)
    printed: dict[int, str] = {}  # block line -> its stdout
    for flavour in page_flavours(blocks):
        chosen, results = run_flavour(page, blocks, flavour, cwd=tmp_path)
        for block, result in zip(chosen, results):
            where = f"{page.relative_to(DOCS)}:{block.line} [{flavour}]"
            assert result["error"] is None, f"{where} raised:\n{result['error']}"
            if block.expected is not None:
                assert outputs_match(block.expected, result["stdout"]), (
                    f"{where} printed\n{result['stdout']}\nbut the page shows\n{block.expected}"
                )
            printed[block.line] = result["stdout"]
        assert len(results) == len(chosen), f"{page.name} [{flavour}]: not every block ran"
    claims: dict[int, dict[str, int]] = {}  # group -> flavour -> line of its last block
    for block in blocks:
        if block.same_output and not block.skip:
            claims.setdefault(block.group, {})[block.flavour] = block.line
    for group, last in claims.items():
        outputs = {flavour: printed[line] for flavour, line in last.items()}
        first, *others = outputs.items()
        assert first[1].strip(), (
            f"{page.name}: tab group {group} claims equal output but prints nothing"
        )
        for flavour, text in others:
            assert outputs_match(first[1], text), (
                f"{page.name}: the page claims its tabs print the same, but {first[0]} printed\n"
                f"{first[1]}\nand {flavour} printed\n{text}"
            )


def test_the_parser_reads_tabs_outputs_and_skips(tmp_path) -> None:
    page = tmp_path / "p.md"
    page.write_text(
        "Intro\n\n```python\nx = 2\n```\n\n<!-- same-output -->\n\n"
        '=== "TensorFlow / Keras"\n\n    ```python\n    print(x + 1)\n    ```\n\n'
        "    ```text\n    3\n    ```\n\n"
        '=== "torchbridge"\n\n    ```python\n    print(x + 1.00001)\n    ```\n\n'
        "Outside.\n\n"
        '=== "PyTorch"\n\n    ```python\n    y = 1\n    ```\n\n'
        "<!-- skip -->\n```python\nserve()\n```\n"
    )
    blocks = parse_page(page)
    assert [(b.flavour, b.group, b.skip, b.same_output) for b in blocks] == [
        (None, None, False, False),
        ("keras", 1, False, True),
        ("torchbridge", 1, False, True),
        ("pytorch", 2, False, False),
        (None, None, True, False),
    ]
    assert blocks[1].expected == "3"
    assert page_flavours(blocks) == ["keras", "torchbridge", "pytorch"]
    assert page_flavours(blocks[:1]) == ["torchbridge"]
    assert outputs_match("loss 0.5000 shape (2, 3)", "loss 0.50001 shape (2, 3)")
    assert not outputs_match("shape (2, 3)", "shape (2, 4)")
    assert not outputs_match("a\nb", "a")
