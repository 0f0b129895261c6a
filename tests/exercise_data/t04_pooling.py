"""The exercises of 04_pooling, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

from nbhelpers import failing, grade_with

ASSIGNMENT = "04_pooling"
SIZE = {"q04_size_basic", "q04_size_dilation", "q04_size_ceil", "q04_size_errors"}
MAX = {"q04_max_basic", "q04_max_padding", "q04_max_pairs", "q04_max_no_builtin"}
AVG = {"q04_avg_basic", "q04_avg_pairs", "q04_avg_no_builtin"}
TO_SIZE = {"q04_to_size_shape", "q04_to_size_reads", "q04_to_size_edges"}
EXERCISES = {"pool_output_size": SIZE, "max_pool2d_naive": MAX, "avg_pool2d_naive": AVG,
             "pool_to_size": TO_SIZE}


# A correct pool_output_size written out in full, for wrong answers that change one line of it.
SIZE_TEMPLATE = """
    def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
        if stride is None:
            stride = {default_stride}
        if {pad_check}:
            raise {error}("padding too large")
        room = size + 2 * padding - {span}
        if ceil_mode:
            length = {ceil_length}
            if {drop_rule}:
                length -= 1
        else:
            length = {floor_length}
        if {empty_check}:
            raise {error}("empty output")
        return length
"""
SIZE_PARTS = {
    "default_stride": "kernel_size",
    "pad_check": "padding > kernel_size // 2",
    "error": "ValueError",
    "span": "(dilation * (kernel_size - 1) + 1)",
    "ceil_length": "(room + stride - 1) // stride + 1",
    "drop_rule": "(length - 1) * stride >= size + padding",
    "floor_length": "room // stride + 1",
    "empty_check": "length < 1",
}


def size_variant(**changes):
    return SIZE_TEMPLATE.format(**{**SIZE_PARTS, **changes})


CORRECT = {
    "size: the template itself": size_variant(),
    "size: math.floor and math.ceil of a true division": """
        import math
        def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1,
                             ceil_mode=False):
            stride = kernel_size if stride is None else stride
            if 2 * padding > kernel_size:
                raise ValueError("padding may be at most half the kernel size")
            room = size + 2 * padding - dilation * (kernel_size - 1) - 1
            if ceil_mode:
                out = math.ceil(room / stride) + 1
                if (out - 1) * stride >= size + padding:
                    out -= 1
            else:
                out = math.floor(room / stride) + 1
            if out <= 0:
                raise ValueError("output would be empty")
            return out
    """,
    "size: padding <= kernel_size / 2 as a float comparison": size_variant(
        pad_check="not padding <= kernel_size / 2"),
    "size: count the window starts one by one": """
        def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1,
                             ceil_mode=False):
            stride = stride or kernel_size
            if padding > kernel_size // 2:
                raise ValueError("padding too large")
            span = dilation * (kernel_size - 1) + 1
            count, start = 0, 0
            while True:
                fits = start + span <= size + 2 * padding
                if ceil_mode:
                    fits = start - stride + span < size + 2 * padding and start < size + padding
                if not fits:
                    break
                count += 1
                start += stride
            if count == 0:
                raise ValueError("empty output")
            return count
    """,
    "max: unfold and amax": """
        def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
            from torch.nn.modules.utils import _pair
            kh, kw = _pair(kernel_size)
            sh, sw = _pair(kernel_size if stride is None else stride)
            ph, pw = _pair(padding)
            xp = F.pad(x, (pw, pw, ph, ph), value=float("-inf"))
            return xp.unfold(2, kh, sh).unfold(3, kw, sw).amax(dim=(-2, -1))
    """,
    "max: pad with the most negative float, loops over every position": """
        def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            if stride is None:
                stride = (kh, kw)
            sh, sw = (stride, stride) if isinstance(stride, int) else stride
            ph, pw = (padding, padding) if isinstance(padding, int) else padding
            n, c, h, w = x.shape
            xp = torch.full((n, c, h + 2 * ph, w + 2 * pw), torch.finfo(x.dtype).min)
            xp[:, :, ph:ph + h, pw:pw + w] = x
            out_h = (h + 2 * ph - kh) // sh + 1
            out_w = (w + 2 * pw - kw) // sw + 1
            out = torch.zeros(n, c, out_h, out_w)
            for b in range(n):
                for ch in range(c):
                    for i in range(out_h):
                        for j in range(out_w):
                            out[b, ch, i, j] = xp[b, ch, i * sh:i * sh + kh,
                                                  j * sw:j * sw + kw].max()
            return out
    """,
    "max: F.unfold on an input padded with -inf": """
        def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (kh, kw) if stride is None else (
                (stride, stride) if isinstance(stride, int) else stride)
            ph, pw = (padding, padding) if isinstance(padding, int) else padding
            xp = F.pad(x, (pw, pw, ph, ph), value=float("-inf"))
            n, c, h, w = xp.shape
            cols = F.unfold(xp, (kh, kw), stride=(sh, sw))        # (N, C*kh*kw, L)
            out_h, out_w = (h - kh) // sh + 1, (w - kw) // sw + 1
            return cols.view(n, c, kh * kw, -1).amax(dim=2).view(n, c, out_h, out_w)
    """,
    "avg: unfold and mean": """
        def avg_pool2d_naive(x, kernel_size, stride=None):
            from torch.nn.modules.utils import _pair
            kh, kw = _pair(kernel_size)
            sh, sw = _pair(kernel_size if stride is None else stride)
            return x.unfold(2, kh, sh).unfold(3, kw, sw).mean(dim=(-2, -1))
    """,
    "avg: a grouped convolution with a constant kernel": """
        def avg_pool2d_naive(x, kernel_size, stride=None):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            stride = (kh, kw) if stride is None else stride
            c = x.shape[1]
            weight = torch.full((c, 1, kh, kw), 1.0 / (kh * kw))
            return F.conv2d(x, weight, stride=stride, groups=c)
    """,
    "to_size: stride 1, one window per output": """
        def pool_to_size(in_size, out_size):
            return nn.MaxPool2d(in_size - out_size + 1, stride=1)
    """,
    "to_size: remainder added to the kernel, as pairs": """
        def pool_to_size(in_size, out_size):
            s = in_size // out_size
            k = s + in_size % out_size
            return nn.MaxPool2d((k, k), stride=(s, s), padding=(0, 0))
    """,
    "to_size: search, preferring windows that do not overlap": """
        def pool_to_size(in_size, out_size):
            def length(k, s, ceil_mode):
                room = in_size - k
                if not ceil_mode:
                    return room // s + 1
                n = -(-room // s) + 1
                return n - 1 if (n - 1) * s >= in_size else n
            for overlap in range(in_size):
                for s in range(in_size, 0, -1):
                    k = s + overlap
                    if k > in_size:
                        continue
                    for ceil_mode in (False, True):
                        n = length(k, s, ceil_mode)
                        last_end = (n - 1) * s + k
                        if n == out_size and last_end >= in_size:
                            return nn.MaxPool2d(k, s, ceil_mode=ceil_mode)
            raise ValueError("no layer found")
    """,
    "to_size: AdaptiveMaxPool2d's windows, when they share one stride": """
        def pool_to_size(in_size, out_size):
            starts = [i * in_size // out_size for i in range(out_size)]
            ends = [-(-(i + 1) * in_size // out_size) for i in range(out_size)]
            steps = {b - a for a, b in zip(starts, starts[1:])}
            sizes = {b - a for a, b in zip(starts, ends)}
            if len(steps) <= 1 and len(sizes) == 1:
                size = sizes.pop()
                return nn.MaxPool2d(size, stride=steps.pop() if steps else size)
            stride = in_size // out_size
            return nn.MaxPool2d(in_size - (out_size - 1) * stride, stride=stride)
    """,
}


# Wrong max_pool2d_naive / avg_pool2d_naive answers share this skeleton.
MAX_TEMPLATE = """
    def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
        def pair(v):
            return (v, v) if isinstance(v, int) else tuple(v)
        kh, kw = {kernel}
        sh, sw = {stride}
        ph, pw = pair(padding)
        xp = {pad}
        out_h = {out_h}
        out_w = {out_w}
        out = x.new_empty(x.shape[0], x.shape[1], out_h, out_w)
        for i in range(out_h):
            for j in range(out_w):
                window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                out[:, :, i, j] = window.amax(dim=(-2, -1))
        return out
"""
MAX_PARTS = {
    "kernel": "pair(kernel_size)",
    "stride": "pair(kernel_size if stride is None else stride)",
    "pad": "F.pad(x, (pw, pw, ph, ph), value=float('-inf'))",
    "out_h": "(xp.shape[2] - kh) // sh + 1",
    "out_w": "(xp.shape[3] - kw) // sw + 1",
}
AVG_TEMPLATE = """
    def avg_pool2d_naive(x, kernel_size, stride=None):
        def pair(v):
            return (v, v) if isinstance(v, int) else tuple(v)
        kh, kw = {kernel}
        sh, sw = {stride}
        out_h = (x.shape[2] - kh) // sh + 1
        out_w = (x.shape[3] - kw) // sw + 1
        out = x.new_empty(x.shape[0], x.shape[1], out_h, out_w)
        for i in range(out_h):
            for j in range(out_w):
                window = x[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
                out[:, :, i, j] = window.sum(dim=(-2, -1)) / {count}
        return out
"""
AVG_PARTS = {
    "kernel": "pair(kernel_size)",
    "stride": "pair(kernel_size if stride is None else stride)",
    "count": "(kh * kw)",
}


def max_variant(**changes):
    return MAX_TEMPLATE.format(**{**MAX_PARTS, **changes})


def avg_variant(**changes):
    return AVG_TEMPLATE.format(**{**AVG_PARTS, **changes})


def extra_templates_are_correct_when_unchanged():
    assert not failing(grade_with(ASSIGNMENT, source=max_variant() + avg_variant()))


WRONG = {
    # pool_output_size
    "size: stride 1 when stride is None": ("pool_output_size", size_variant(default_stride="1")),
    "size: ceil without the drop rule": ("pool_output_size", size_variant(drop_rule="False")),
    "size: ignores dilation": ("pool_output_size", size_variant(span="kernel_size")),
    "size: floor even when ceil_mode=True": ("pool_output_size",
                                             size_variant(ceil_length="room // stride + 1")),
    "size: no ValueError checks": ("pool_output_size",
                                   size_variant(pad_check="False", empty_check="False")),
    "size: no padding check": ("pool_output_size", size_variant(pad_check="False")),
    "size: no empty-output check": ("pool_output_size", size_variant(empty_check="False")),
    "size: padding limit from the dilated (effective) kernel": (
        "pool_output_size",
        size_variant(pad_check="padding > (dilation * (kernel_size - 1) + 1) // 2")),
    "size: padding must be strictly less than half": (
        "pool_output_size", size_variant(pad_check="padding >= kernel_size // 2")),
    "size: padding limit (kernel_size - 1) // 2": (
        "pool_output_size", size_variant(pad_check="padding > (kernel_size - 1) // 2")),
    "size: RuntimeError instead of ValueError": ("pool_output_size",
                                                 size_variant(error="RuntimeError")),
    "size: ceil as floor plus one": ("pool_output_size",
                                     size_variant(ceil_length="room // stride + 2")),
    "size: drop rule with > instead of >=": (
        "pool_output_size", size_variant(drop_rule="(length - 1) * stride > size + padding")),
    "size: drop rule ignores the left padding": ("pool_output_size",
                                                 size_variant(drop_rule="(length - 1) * stride >= size")),
    "size: drop rule against the whole padded length": (
        "pool_output_size", size_variant(drop_rule="(length - 1) * stride >= size + 2 * padding")),
    "size: returns 0 instead of raising for an empty output": ("pool_output_size",
                                                               size_variant(empty_check="length < 0")),
    "size: refuses inputs shorter than the window even with ceil_mode": (
        "pool_output_size", size_variant(empty_check="length < 1 or room < 0")),
    "size: true division, returns a float": ("pool_output_size",
                                             size_variant(floor_length="room / stride + 1")),
    "size: (size - k + 2p) / s + 1, a float, no checks": ("pool_output_size", """
        def pool_output_size(size, kernel_size, stride=None, padding=0, dilation=1,
                             ceil_mode=False):
            stride = kernel_size if stride is None else stride
            return (size - kernel_size + 2 * padding) / stride + 1
    """),
    "size: round instead of floor": ("pool_output_size",
                                     size_variant(floor_length="round(room / stride) + 1")),
    # max_pool2d_naive
    "max: pads with zeros": ("max_pool2d_naive",
                             max_variant(pad="F.pad(x, (pw, pw, ph, ph), value=0.0)")),
    "max: stride 1 when stride is None": ("max_pool2d_naive",
                                          max_variant(stride="pair(1 if stride is None else stride)")),
    "max: kernel (h, w) swapped": ("max_pool2d_naive", max_variant(kernel="pair(kernel_size)[::-1]")),
    "max: stride (h, w) swapped": ("max_pool2d_naive",
                                   max_variant(stride="pair(kernel_size if stride is None "
                                                      "else stride)[::-1]")),
    "max: F.pad given (top, bottom, left, right)": (
        "max_pool2d_naive", max_variant(pad="F.pad(x, (ph, ph, pw, pw), value=float('-inf'))")),
    "max: pads only the top and the left": (
        "max_pool2d_naive", max_variant(pad="F.pad(x, (pw, 0, ph, 0), value=float('-inf'))")),
    "max: ignores padding": ("max_pool2d_naive", max_variant(pad="x")),
    "max: keeps partial windows (ceil size)": (
        "max_pool2d_naive", max_variant(out_h="-(-(xp.shape[2] - kh) // sh) + 1",
                                        out_w="-(-(xp.shape[3] - kw) // sw) + 1")),
    "max: calls F.max_pool2d": ("max_pool2d_naive", """
        def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
            return F.max_pool2d(x, kernel_size, stride, padding)
    """),
    "max: uses nn.MaxPool2d": ("max_pool2d_naive", """
        def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
            return nn.MaxPool2d(kernel_size, stride, padding)(x)
    """),
    "max: calls torch.max_pool2d": ("max_pool2d_naive", """
        def max_pool2d_naive(x, kernel_size, stride=None, padding=0):
            return torch.max_pool2d(x, kernel_size, stride if stride is not None else kernel_size,
                                    padding)
    """),
    # avg_pool2d_naive
    "avg: divides by the first side squared": ("avg_pool2d_naive", avg_variant(count="(kh * kh)")),
    "avg: divides by kh + kw": ("avg_pool2d_naive", avg_variant(count="(kh + kw)")),
    "avg: divides by the kernel side only": ("avg_pool2d_naive", avg_variant(count="kh")),
    "avg: sums without dividing": ("avg_pool2d_naive", avg_variant(count="1")),
    "avg: stride 1 when stride is None": ("avg_pool2d_naive",
                                          avg_variant(stride="pair(1 if stride is None else stride)")),
    "avg: kernel (h, w) swapped": ("avg_pool2d_naive", avg_variant(kernel="pair(kernel_size)[::-1]")),
    "avg: stride (h, w) swapped": ("avg_pool2d_naive",
                                   avg_variant(stride="pair(kernel_size if stride is None "
                                                      "else stride)[::-1]")),
    "avg: calls F.avg_pool2d": ("avg_pool2d_naive", """
        def avg_pool2d_naive(x, kernel_size, stride=None):
            return F.avg_pool2d(x, kernel_size, stride)
    """),
    "avg: uses nn.AdaptiveAvgPool2d per window size": ("avg_pool2d_naive", """
        def avg_pool2d_naive(x, kernel_size, stride=None):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            sh, sw = (kh, kw) if stride is None else (
                (stride, stride) if isinstance(stride, int) else stride)
            windows = x.unfold(2, kh, sh).unfold(3, kw, sw)   # (N, C, H', W', kh, kw)
            n, c, oh, ow = windows.shape[:4]
            flat = windows.reshape(n * c * oh * ow, 1, kh, kw)
            return nn.AdaptiveAvgPool2d(1)(flat).view(n, c, oh, ow)
    """),
    # pool_to_size
    "to_size: kernel = stride = in // out, the floor drops the rest": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            return nn.MaxPool2d(in_size // out_size)
    """),
    "to_size: kernel in - out + 1 with the default stride": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            return nn.MaxPool2d(in_size - out_size + 1)
    """),
    "to_size: kernel = stride = ceil(in / out), without ceil_mode": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            k = -(-in_size // out_size)
            return nn.MaxPool2d(k)
    """),
    "to_size: kernel = stride = ceil(in / out), with ceil_mode": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            k = -(-in_size // out_size)
            return nn.MaxPool2d(k, ceil_mode=True)
    """),
    "to_size: stride in // out, kernel one more": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            stride = in_size // out_size
            return nn.MaxPool2d(stride + 1, stride=stride)
    """),
    "to_size: pads to a multiple of the window": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            k = -(-in_size // out_size)
            return nn.MaxPool2d(k, padding=min((out_size * k - in_size) // 2, k // 2))
    """),
    "to_size: an adaptive layer": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            return nn.AdaptiveMaxPool2d(out_size)
    """),
    "to_size: returns the settings, not a layer": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            stride = in_size // out_size
            return in_size - (out_size - 1) * stride, stride
    """),
}


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "size: stride 1 when stride is None": {"q04_size_basic", "q04_size_ceil", "q04_size_dilation"},
    "size: ceil without the drop rule": {"q04_size_ceil"},
    "size: ignores dilation": {"q04_size_ceil", "q04_size_dilation", "q04_size_errors"},
    "size: floor even when ceil_mode=True": {"q04_size_ceil"},
    "size: no ValueError checks": {"q04_size_errors"},
    "size: no padding check": {"q04_size_errors"},
    "size: no empty-output check": {"q04_size_errors"},
    "size: padding limit from the dilated (effective) kernel": {"q04_size_errors"},
    "size: padding must be strictly less than half": {"q04_size_basic", "q04_size_ceil", "q04_size_dilation"},
    "size: padding limit (kernel_size - 1) // 2": {"q04_size_basic", "q04_size_ceil", "q04_size_dilation"},
    "size: RuntimeError instead of ValueError": {"q04_size_errors"},
    "size: ceil as floor plus one": {"q04_size_ceil", "q04_size_errors"},
    "size: drop rule with > instead of >=": {"q04_size_ceil"},
    "size: drop rule ignores the left padding": {"q04_size_ceil"},
    "size: drop rule against the whole padded length": {"q04_size_ceil"},
    "size: returns 0 instead of raising for an empty output": {"q04_size_errors"},
    "size: refuses inputs shorter than the window even with ceil_mode": {"q04_size_ceil"},
    "size: true division, returns a float": {"q04_size_basic", "q04_size_dilation"},
    "size: (size - k + 2p) / s + 1, a float, no checks":
        {"q04_size_basic", "q04_size_ceil", "q04_size_dilation", "q04_size_errors"},
    "size: round instead of floor": {"q04_size_basic", "q04_size_dilation", "q04_size_errors"},
    "max: pads with zeros": {"q04_max_no_builtin", "q04_max_padding", "q04_max_pairs"},
    "max: stride 1 when stride is None": {"q04_max_basic", "q04_max_padding", "q04_max_pairs"},
    "max: kernel (h, w) swapped": {"q04_max_no_builtin", "q04_max_pairs"},
    "max: stride (h, w) swapped": {"q04_max_no_builtin", "q04_max_pairs"},
    "max: F.pad given (top, bottom, left, right)": {"q04_max_no_builtin", "q04_max_pairs"},
    "max: pads only the top and the left": {"q04_max_no_builtin", "q04_max_padding", "q04_max_pairs"},
    "max: ignores padding": {"q04_max_no_builtin", "q04_max_padding", "q04_max_pairs"},
    "max: keeps partial windows (ceil size)": {"q04_max_basic", "q04_max_padding", "q04_max_pairs"},
    "max: calls F.max_pool2d": {"q04_max_no_builtin"},
    "max: uses nn.MaxPool2d": {"q04_max_no_builtin"},
    "max: calls torch.max_pool2d": {"q04_max_no_builtin"},
    "avg: divides by the first side squared": {"q04_avg_no_builtin", "q04_avg_pairs"},
    "avg: divides by kh + kw": {"q04_avg_basic", "q04_avg_no_builtin", "q04_avg_pairs"},
    "avg: divides by the kernel side only":
        {"q04_avg_basic", "q04_avg_no_builtin", "q04_avg_pairs"},
    "avg: sums without dividing": {"q04_avg_basic", "q04_avg_no_builtin", "q04_avg_pairs"},
    "avg: stride 1 when stride is None": {"q04_avg_basic", "q04_avg_pairs"},
    "avg: kernel (h, w) swapped": {"q04_avg_no_builtin", "q04_avg_pairs"},
    "avg: stride (h, w) swapped": {"q04_avg_no_builtin", "q04_avg_pairs"},
    "avg: calls F.avg_pool2d": {"q04_avg_no_builtin"},
    "avg: uses nn.AdaptiveAvgPool2d per window size": {"q04_avg_no_builtin"},
    "to_size: kernel = stride = in // out, the floor drops the rest":
        {"q04_to_size_shape", "q04_to_size_reads"},
    "to_size: kernel in - out + 1 with the default stride": {"q04_to_size_shape", "q04_to_size_reads"},
    "to_size: kernel = stride = ceil(in / out), without ceil_mode":
        {"q04_to_size_shape", "q04_to_size_reads"},
    "to_size: kernel = stride = ceil(in / out), with ceil_mode": {"q04_to_size_shape"},
    "to_size: stride in // out, kernel one more":
        {"q04_to_size_shape", "q04_to_size_reads", "q04_to_size_edges"},
    "to_size: pads to a multiple of the window": {"q04_to_size_shape", "q04_to_size_reads"},
    "to_size: an adaptive layer": {"q04_to_size_shape"},
    "to_size: returns the settings, not a layer":
        {"q04_to_size_shape", "q04_to_size_reads", "q04_to_size_edges"},
}


# Second review: pool_to_size answers in other styles, and more of the usual mistakes.
CORRECT.update({
    "to_size: closed form in numpy ints": """
        import numpy as np
        def pool_to_size(in_size, out_size):
            stride = np.int64(in_size) // np.int64(out_size)
            kernel = np.int64(in_size) - (out_size - 1) * stride
            return nn.MaxPool2d(kernel, stride=stride)
    """,
    "to_size: search small windows first, padding allowed": """
        def pool_to_size(in_size, out_size):
            for k in range(1, in_size + 1):
                for s in range(1, k + 1):
                    for p in range(k // 2 + 1):
                        n = (in_size + 2 * p - k) // s + 1
                        last_end = (n - 1) * s - p + k      # one past the last position read
                        if n == out_size and last_end >= in_size:
                            return nn.MaxPool2d(k, s, p)
    """,
    "to_size: two dilated taps where they cover, else the closed form": """
        def pool_to_size(in_size, out_size):
            gap = in_size - out_size
            if 1 <= gap <= out_size:
                return nn.MaxPool2d(2, stride=1, dilation=gap)
            stride = in_size // out_size
            return nn.MaxPool2d(in_size - (out_size - 1) * stride, stride)
    """,
    "to_size: loop down from the largest stride, every keyword spelled out": """
        def pool_to_size(in_size, out_size):
            stride = in_size
            while True:
                kernel = in_size - (out_size - 1) * stride
                if kernel >= stride:
                    return nn.MaxPool2d(kernel_size=(kernel, kernel), stride=(stride, stride),
                                        padding=0, dilation=1, ceil_mode=False)
                stride -= 1
    """,
    "to_size: ceil_mode with windows of ceil(in / out) where that works": """
        def pool_to_size(in_size, out_size):
            k = -(-in_size // out_size)
            if -(-in_size // k) == out_size:
                return nn.MaxPool2d(k, ceil_mode=True)
            return nn.MaxPool2d(in_size - out_size + 1, stride=1)
    """,
})

WRONG.update({
    "to_size: two dilated taps, gaps not checked": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            return nn.MaxPool2d(2, stride=1, dilation=in_size - out_size)
    """),
    "to_size: stride round(in / out), kernel fills the rest": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            stride = round(in_size / out_size)
            return nn.MaxPool2d(in_size - (out_size - 1) * stride, stride=stride)
    """),
    "to_size: stride ceil(in / out), kernel fills the rest": ("pool_to_size", """
        import math
        def pool_to_size(in_size, out_size):
            stride = math.ceil(in_size / out_size)
            return nn.MaxPool2d(in_size - (out_size - 1) * stride, stride=stride)
    """),
    "to_size: kernel in - out with stride 1 (one too small)": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            return nn.MaxPool2d(max(in_size - out_size, 1), stride=1)
    """),
    "to_size: kernel = stride = in // out, with ceil_mode": ("pool_to_size", """
        def pool_to_size(in_size, out_size):
            return nn.MaxPool2d(in_size // out_size, ceil_mode=True)
    """),
})

WRONG_FAILS.update({
    "to_size: two dilated taps, gaps not checked": {"q04_to_size_reads", "q04_to_size_edges"},
    "to_size: stride round(in / out), kernel fills the rest": {"q04_to_size_shape", "q04_to_size_reads"},
    "to_size: stride ceil(in / out), kernel fills the rest": {"q04_to_size_shape", "q04_to_size_reads"},
    "to_size: kernel in - out with stride 1 (one too small)": {"q04_to_size_shape", "q04_to_size_edges"},
    "to_size: kernel = stride = in // out, with ceil_mode": {"q04_to_size_shape"},
})
