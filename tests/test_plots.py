"""Tests for course.plots: figures hold what they claim and bad input is explained."""

import pytest
import torch

from course import plots


def test_show_images_titles_carry_shapes():
    fig = plots.show_images([torch.zeros(1, 4, 5), torch.zeros(3, 2, 2)], titles=["a", "b"])
    titles = [ax.get_title() for ax in fig.axes]
    assert titles == ["a\n4×5", "b\n2×2"]


def test_show_images_rejects_a_batch():
    with pytest.raises(ValueError, match=r"shape \(2, 1, 4, 4\)"):
        plots.show_images([torch.zeros(2, 1, 4, 4)])


def test_show_signals_applies_offsets():
    fig = plots.show_signals([torch.arange(5.0), torch.arange(3.0)], ["in", "out"],
                             offsets=[0, 1])
    lines = fig.axes[0].get_lines()
    assert list(lines[1].get_xdata()) == [1, 2, 3]


def test_show_histograms_one_panel_per_tensor():
    fig = plots.show_histograms([torch.randn(100), torch.rand(100)], ["normal_", "uniform_"])
    assert [ax.get_title() for ax in fig.axes] == ["normal_", "uniform_"]


def test_mismatched_labels_are_refused():
    with pytest.raises(ValueError, match="2 signals but 1 labels"):
        plots.show_signals([torch.zeros(2), torch.zeros(2)], ["only one"])


def test_show_curves_draws_one_panel_per_dict_with_its_settings_and_styles():
    fig = plots.show_curves([
        {"curves": {"training": ([1, 2, 3], [3.0, 2.0, 1.0]),
                    "lowest": ([3], [1.0], {"color": "tab:red", "marker": "o"})},
         "title": "loss", "yscale": "log", "legend": {"loc": "upper right"}},
        {"curves": {"accuracy": (range(1, 4), [0.5, 0.7, 0.9], {"ls": "--"})}, "ylim": (0, 1)},
    ])
    loss, accuracy = fig.axes
    assert loss.get_title() == "loss" and loss.get_yscale() == "log"
    assert [line.get_label() for line in loss.get_lines()] == ["training", "lowest"]
    assert loss.get_lines()[1].get_marker() == "o" and list(loss.get_lines()[1].get_xdata()) == [3]
    assert accuracy.get_ylim() == (0, 1) and accuracy.get_lines()[0].get_linestyle() == "--"
    assert [t.get_text() for t in accuracy.get_legend().get_texts()] == ["accuracy"]


def test_read_counts_counts_the_windows_that_read_each_cell():
    counts = plots.read_counts((5, 5), 3)
    assert counts[0, 0] == 1 and counts[2, 2] == 9 and counts[0, 2] == 3
    # stride 2 on 8 cells: the last row and column are read by no window
    strided = plots.read_counts((8, 8), 3, stride=2)
    assert strided[7].sum() == 0 and strided[:, 7].sum() == 0 and strided[6, 6] == 1
    padded = plots.read_counts((5, 5), 3, padding=1)
    assert padded[0, 0] == 4 and padded.min() > 0


def test_draw_reads_marks_the_cells_each_output_reads():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    plots.draw_reads(ax, (7, 7), 3, stride=2, padding=1, outputs=[(0, 0), (1, 2)], title="t")
    first, second = ax.collections[1:]
    # output (0, 0) reads padded rows and columns 0..2; output (1, 2) rows 2..4 and columns 4..6
    assert sorted({(round(x - 0.5 + 0.2), round(y - 0.5 + 0.2)) for x, y in first.get_offsets()}) == [
        (c, r) for c in range(3) for r in range(3)]
    assert {round(x - 0.5 - 0.2) for x, _ in second.get_offsets()} == {4, 5, 6}
    assert ax.get_title() == "t\ninput 7×7 → output 4×4"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["output (0, 0)", "output (1, 2)"]


def test_draw_reads_refuses_more_outputs_than_it_has_colours():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    with pytest.raises(ValueError, match="at most 4 outputs"):
        plots.draw_reads(ax, (5, 5), 3, outputs=[(0, 0)] * 5)


def test_draw_read_counts_writes_every_count_and_marks_unread_cells_red():
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    counts = plots.read_counts((4, 4), 3, stride=2)
    plots.draw_read_counts(ax, counts, "counts")
    texts = ax.texts
    assert len(texts) == 16 and ax.get_title() == "counts"
    unread = [t for t in texts if t.get_text() == "0"]
    assert unread and all(t.get_color() == "red" for t in unread)


@pytest.mark.parametrize("padding, kept", [(0, ["tab:blue", "tab:blue", "tab:green"]),
                                           (1, ["tab:blue", "tab:blue", "tab:blue", "tab:red"])])
def test_draw_windows_sorts_the_windows_as_floor_and_ceil_mode_do(padding, kept):
    import matplotlib.pyplot as plt
    from matplotlib.colors import to_hex

    _, ax = plt.subplots()
    plots.draw_windows(ax, size=5, kernel=2, stride=2, padding=padding)
    windows = [p for p in ax.patches if not p.get_fill()]
    assert [to_hex(p.get_edgecolor()) for p in windows] == [to_hex(c) for c in kept]
    assert sum(t.get_text() == "pad" for t in ax.texts) == 2 * padding
    assert ax.get_title(loc="left") == f"L=5, kernel=2, stride=2, padding={padding}"


# -- In Korean (use_language("ko")): the figures' own words; what the caller passes stays as given --
# (Without a Hangul font matplotlib draws boxes and warns when it lays the figure out: that is the
# environment's fonts, not the text these tests check.)

@pytest.mark.filterwarnings("ignore:Glyph .* missing from font")
def test_draw_reads_and_show_signals_label_in_korean():
    import matplotlib.pyplot as plt

    from course.i18n import use_language

    use_language("ko")
    fig, ax = plt.subplots()
    plots.draw_reads(ax, (7, 7), 3, stride=2, padding=1, outputs=[(0, 0), (1, 2)], title="t")
    assert ax.get_title() == "t\n입력 7×7 → 출력 4×4"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["출력 (0, 0)", "출력 (1, 2)"]
    fig = plots.show_signals([torch.zeros(3)], ["입력"], title="제목")
    assert fig.axes[0].get_xlabel() == "시퀀스 내 위치" and fig.axes[0].get_title() == "제목"


def test_draw_windows_notes_and_padding_cells_in_korean():
    import matplotlib.pyplot as plt

    from course.i18n import use_language

    _, ax = plt.subplots()
    plots.draw_windows(ax, size=5, kernel=2, stride=2, padding=1)
    english = [t.get_text() for t in ax.texts]
    assert english.count("pad") == 2
    assert "window 3: ceil_mode: dropped, starts in the right padding" in english
    use_language("ko")
    _, ax = plt.subplots()
    plots.draw_windows(ax, size=5, kernel=2, stride=2, padding=1)
    korean = [t.get_text() for t in ax.texts]
    assert korean.count("패딩") == 2 and "pad" not in korean and "x0" in korean
    assert "윈도 0: floor와 ceil 모두 유지" in korean
    assert "윈도 3: ceil_mode에서도 버림: 오른쪽 패딩에서 시작함" in korean
    assert ax.get_title(loc="left") == "L=5, kernel=2, stride=2, padding=1"      # symbols stay as they are


def test_plot_argument_errors_speak_korean():
    from course.i18n import use_language

    use_language("ko")
    with pytest.raises(ValueError, match=r"^모양이 \(2, 1, 4, 4\)인 텐서는 이미지로 보여 줄 수 없습니다"):
        plots.show_images([torch.zeros(2, 1, 4, 4)])
    with pytest.raises(ValueError, match="^신호는 2개인데 레이블은 1개입니다$"):
        plots.show_signals([torch.zeros(2), torch.zeros(2)], ["only one"])
    with pytest.raises(ValueError, match="^텐서는 1개인데 제목은 2개입니다$"):
        plots.show_histograms([torch.zeros(2)], ["a", "b"])
