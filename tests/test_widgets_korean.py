"""Tests of the explorers in Korean: every label, button and status line translated, the pictures unchanged.

Each explorer is built twice, in English (the default) and after ``use_language("ko")``. The Korean
one must name its controls and say its status in Korean, with the same pictures at the same pixel
sizes: words drawn into a picture stay English (its font has no Hangul) and a Korean caption
explains them. The English one must read exactly as before. The autouse fixture of conftest.py puts
the language back to English after every test.
"""

import html
import re

import ipywidgets as widgets
import pytest
from widgethelpers import images, png_size

from course.i18n import use_language
from course.widgets import (
    attention_explorer,
    batch_explorer,
    conv_explorer,
    dropout_explorer,
    feature_map_explorer,
    mlp_explorer,
    norm_explorer,
    optimizer_explorer,
    overfitting_explorer,
    pooling_explorer,
    softmax_explorer,
)
from course.widgets._checks import check_choice, check_int, check_numbers
from course.widgets.overfitting import figure_key

HANGUL = re.compile("[\uac00-\ud7a3]")
# Labels that are code, the same in every language: argument names and values, layer and class names.
CODE = re.compile(r"^(p|T|lr|z\[\d\]|drop_last|shuffle|ceil_mode|train\(\)|eval\(\)|xor|moons|"
                  r"relu|tanh|sigmoid|gelu|identity|SGD|Nesterov|Adam|Rosenbrock|BatchNorm|LayerNorm|"
                  r"\(N, [A-Z, ]+\)|(conv|relu|pool)\d|dropout|[0-9]+)$")
# Words that may stay in the HTML outside <code>: the formulas' own names.
FORMULA_WORDS = {"exp", "max", "torch", "softmax", "nan", "inf"}

# explorer: (how to build it, a control, its Korean description, a phrase of the Korean status line)
EXPLORERS = {
    "attention": (lambda: attention_explorer("31415"), "sequence", "시퀀스", "모델의 출력은"),
    "batches": (lambda: batch_explorer(), "batch_size", "배치 크기", "PyTorch도 확인합니다"),
    "conv": (lambda: conv_explorer(), "size", "입력 크기", "모양의 입력을"),
    "dropout": (lambda: dropout_explorer(), "resample", "다시 뽑기", "훈련 모드의"),
    "feature_maps": (lambda: feature_map_explorer(), "index", "숫자", "신경망의 예측은"),
    "mlp": (lambda: mlp_explorer(), "hidden", "은닉 유닛", "이진 교차 엔트로피"),
    "normalization": (lambda: norm_explorer(), "group", "그룹", "편향 분산"),
    "optimizers": (lambda: optimizer_explorer(), "momentum", "모멘텀", "새로 만든"),
    "overfitting": (lambda: overfitting_explorer(), "degree", "차수", "훈련 MSE"),
    "pooling": (lambda: pooling_explorer(), "kernel_size", "커널 크기", "값도 같습니다"),
    "softmax": (lambda: softmax_explorer(), "temperature", "T", "단순 공식"),
}


def _widgets(explorer):
    stack, found = [explorer.box], []
    while stack:
        widget = stack.pop()
        found.append(widget)
        stack.extend(getattr(widget, "children", ()))
    return found


def _prose(text: str) -> str:
    """HTML ``text`` without its <code> parts, tags and entities: the words a student reads."""
    text = re.sub(r"<code>.*?</code>", " ", text)
    return html.unescape(re.sub(r"<[^>]*>", " ", text))


def _untranslated(explorer) -> list[str]:
    """Every text of ``explorer`` that is neither Korean nor code."""
    found = []
    for widget in _widgets(explorer):
        texts = [getattr(widget, "description", ""), getattr(widget, "tooltip", None) or ""]
        texts += list(getattr(widget, "_options_labels", ()))
        for text in filter(None, texts):
            if not HANGUL.search(text) and not CODE.match(text):
                found.append(f"{type(widget).__name__}: {text!r}")
        if isinstance(widget, widgets.HTML) and widget is not explorer.status:
            prose = _prose(widget.value)
            words = set(re.findall(r"[A-Za-z]{3,}", prose)) - FORMULA_WORDS
            if words and not HANGUL.search(prose):
                found.append(f"HTML: {widget.value[:80]!r}")
    return found


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_every_explorer_speaks_korean_with_the_same_pictures(name):
    """Check that in Korean an explorer's labels, buttons and status are Korean and its pictures unchanged"""
    make, control, label, phrase = EXPLORERS[name]
    english = make()
    english_sizes = [png_size(image) for image in images(english)]
    english_label = getattr(english, control).description
    english.close()

    use_language("ko")
    korean = make()
    assert getattr(korean, control).description == label
    assert HANGUL.search(korean.message) and phrase in korean.message, korean.message
    assert not _untranslated(korean), _untranslated(korean)
    assert [png_size(image) for image in images(korean)] == english_sizes
    for image in images(korean):
        width, height = png_size(image)
        assert (image.layout.width, image.layout.height) == (f"{width}px", f"{height}px")
    korean.close()

    use_language("en")
    again = make()
    assert getattr(again, control).description == english_label
    assert not HANGUL.search(again.message)
    again.close()


def test_the_play_and_step_controls_and_the_toggles_are_korean():
    """Check the shared Play/window pair, the on/off toggles and a dropdown's labels in Korean"""
    use_language("ko")
    conv = conv_explorer(values="image")
    assert (conv.play.description, conv.step.description) == ("재생", "윈도우")
    assert conv.kernel.label == "에지" and conv.kernel.value == "edge"
    conv.kernel.value = "blur"
    assert conv.kernel.label == "흐림"
    conv.close()
    attention = attention_explorer("31415", causal=True)
    assert attention.causal.label == "켬" and attention.causal.value is True
    assert "인과 마스크 켬" in attention.message
    attention.close()
    pooling = pooling_explorer(kind="avg")
    assert pooling.kind.label == "평균" and pooling.stride_is_kernel.description == "stride=None (커널 크기)"
    pooling.close()


def test_status_lines_follow_the_settings_in_korean():
    """Check Korean status lines after changes: a refusal, a warning and an agreement with the numbers"""
    use_language("ko")
    conv = conv_explorer(size=3, kernel_size=5)
    assert conv.message.startswith("유효한 출력이 없습니다.") and "PyTorch도 거부합니다" in conv.message
    assert conv.size_text.value == "<b>출력 크기: 없음</b>"
    conv.close()
    softmax = softmax_explorer(logits=(100.0, 1.0))
    assert "inf로 오버플로" in softmax.message and "클래스 0에 nan" in softmax.message
    softmax.close()
    batches = batch_explorer(num_samples=3, batch_size=4, drop_last=True)
    assert batches.message.startswith("스텝이 하나도 없습니다.")
    assert "PyTorch도 그렇다고 확인합니다" in batches.message
    assert batches.lines == [f"에포크 {e}: 스텝 없음, 샘플 3개를 모두 버림" for e in (1, 2)]
    batches.close()
    optimizer = optimizer_explorer(optimizer="Nesterov", momentum=0.5)
    optimizer.momentum.value = 0.0
    assert optimizer.message.endswith("모멘텀을 높이십시오.")
    optimizer.close()


def test_words_drawn_in_pictures_stay_english_and_korean_captions_explain_them():
    """Check that the pictures are the same bytes in both languages and the captions name their words"""
    batches_en, overfitting_en = batch_explorer(drop_last=True), overfitting_explorer()
    pictures = [batches_en.image.value, overfitting_en.image.value]
    assert figure_key() == "" and len(overfitting_en.box.children) == 4
    use_language("ko")
    batches, overfitting = batch_explorer(drop_last=True), overfitting_explorer()
    assert [batches.image.value, overfitting.image.value] == pictures
    assert "epoch 1" in batches.caption.value and "dropped는 버린 샘플" in batches.caption.value
    assert overfitting.key in overfitting.box.children and len(overfitting.box.children) == 5
    assert "<i>weight decay λ</i>는 가중치 감쇠 λ" in overfitting.key.value
    for explorer in (batches_en, overfitting_en, batches, overfitting):
        explorer.close()


def test_argument_checks_explain_themselves_in_korean_and_in_english_as_before():
    """Check the checks' messages in Korean, and the English message byte for byte"""
    with pytest.raises(ValueError, match=r"^n must be an int from 1 to 64, got 65$"):
        check_int("n", 65, 1, 64)
    use_language("ko")
    with pytest.raises(ValueError, match=r"^n 값은 1부터 64까지의 int여야 합니다\. 받은 값: 65$"):
        check_int("n", 65, 1, 64)
    with pytest.raises(ValueError, match=r"^dims 값은 1 또는 2 중 하나여야 합니다\. 받은 값: 3$"):
        check_choice("dims", 3, (1, 2), spelled=True)
    with pytest.raises(ValueError, match=r"^logits에는 수가 1개에서 8개까지 있어야 합니다\. 받은 개수: 0$"):
        check_numbers("logits", [], 1, 8)
    with pytest.raises(ValueError, match=r"^0-9의 숫자만 입력할 수 있습니다\. 입력한 값: '12a'\.$"):
        attention_explorer("12a")
