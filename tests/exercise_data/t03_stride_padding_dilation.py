"""The exercises of 03_stride_padding_dilation, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

from nbhelpers import failing, grade_with

ASSIGNMENT = "03_stride_padding_dilation"
EKS = {"s03_eks_plain", "s03_eks_dilated"}
SAME = {"s03_same_odd", "s03_same_dilated", "s03_same_errors"}
PAD_VALUES = {"s03_pad_stride1", "s03_pad_strided", "s03_pad_unreachable"}   # all but the invalid arguments
PAD = PAD_VALUES | {"s03_pad_invalid"}
NAIVE = {"s03_naive_basic", "s03_naive_stride_padding", "s03_naive_dilation",
         "s03_naive_no_builtin"}
RF = {"s03_rf_single", "s03_rf_strides", "s03_rf_dilation", "s03_rf_pytorch"}
EXERCISES = {"effective_kernel_size": EKS, "same_padding": SAME, "padding_for_output": PAD,
             "conv2d_naive": NAIVE, "receptive_field": RF}


CORRECT = {
    "effective kernel as k plus the gaps": """
        def effective_kernel_size(kernel_size, dilation=1):
            return kernel_size + (kernel_size - 1) * (dilation - 1)
    """,
    "effective kernel as a NumPy integer": """
        import numpy as np
        def effective_kernel_size(kernel_size, dilation=1):
            return np.int64(dilation) * (kernel_size - 1) + 1
    """,
    "same padding via divmod": """
        def same_padding(kernel_size, dilation=1):
            half, odd = divmod(dilation * (kernel_size - 1), 2)
            if odd:
                raise ValueError("no symmetric padding keeps the length")
            return half
    """,
    "same padding from the effective kernel size": """
        def same_padding(kernel_size, dilation=1):
            span = dilation * (kernel_size - 1) + 1
            if span % 2 == 0:
                raise ValueError(f"an effective kernel of {span} cells has no centre")
            return (span - 1) // 2
    """,
    "padding for an output length by a search over the padded length": """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if type(value) is not int or value <= 0:
                    raise ValueError(f"not a positive int: {value!r}")
            span = dilation * (kernel_size - 1) + 1
            p = 0
            while True:
                room = size + 2 * p - span
                if room >= 0:
                    length = room // stride + 1
                    if length == out_size:
                        return p
                    if length > out_size:
                        raise ValueError("the output is too long already")
                p += 1
    """,
    "padding for an output length by asking nn.Conv1d": """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            names = ("size", "kernel_size", "out_size", "stride", "dilation")
            for name, value in zip(names, (size, kernel_size, out_size, stride, dilation)):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError(f"{name} must be a positive int")
            x = torch.zeros(1, 1, size)
            padding = 0
            while True:
                layer = nn.Conv1d(1, 1, kernel_size, stride=stride, padding=padding, dilation=dilation)
                try:
                    length = layer(x).shape[-1]
                except RuntimeError:                     # the window does not fit yet
                    length = 0
                if length == out_size:
                    return padding
                if length > out_size:
                    raise ValueError(f"no padding gives {out_size} outputs")
                padding += 1
    """,
    "padding for an output length with a closed form and separate checks": """
        import math
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            needed = (out_size - 1) * stride + span - size   # the least total padding
            p = max(0, math.ceil(needed / 2))
            if (size + 2 * p - span) // stride + 1 != out_size:
                raise ValueError("this output length cannot be reached")
            return p
    """,
    "padding for an output length from the stride-1 parity and the smallest length": """
        import numpy as np
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            args = [size, kernel_size, out_size, stride, dilation]
            if any(isinstance(a, bool) or not isinstance(a, int) for a in args) or min(args) < 1:
                raise ValueError(f"invalid arguments {args}")
            span = dilation * (kernel_size - 1) + 1
            smallest = (size - span) // stride + 1 if size >= span else 1
            if out_size < smallest:
                raise ValueError("padding cannot shorten the output")
            if stride == 1:
                total = out_size - 1 + span - size
                if total % 2:
                    raise ValueError("at stride 1 the padding changes the length by 2 at a time")
                return np.int64(max(total // 2, 0))
            lo, hi = 0, out_size * stride + span
            while lo < hi:                           # the first padding with at least out_size outputs
                mid = (lo + hi) // 2
                if size + 2 * mid >= span and (size + 2 * mid - span) // stride + 1 >= out_size:
                    hi = mid
                else:
                    lo = mid + 1
            return lo
    """,
    "padding for an output length by a bounded for-else search": """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            for p in range((out_size * stride + span) // 2 + 1):
                if size + 2 * p >= span and (size + 2 * p - span) // stride + 1 == out_size:
                    return p
            else:
                raise ValueError("no padding gives this output length")
    """,
    "padding for an output length from NumPy over all candidate paddings": """
        import numpy as np
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            p = np.arange(out_size * stride + span + 1)
            padded = size + 2 * p
            lengths = np.where(padded >= span, (padded - span) // stride + 1, 0)
            hits = np.flatnonzero(lengths == out_size)
            if hits.size == 0:
                raise ValueError("no padding gives this output length")
            return int(hits[0])
    """,
    "padding for an output length with math.ceil and a range test on the padded length": """
        import math
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            low = (out_size - 1) * stride + span      # padded lengths low .. low + stride - 1 work
            p = max(0, math.ceil((low - size) / 2))
            if not low <= size + 2 * p < low + stride:
                raise ValueError("no padding gives this output length")
            return p
    """,
    "padding for an output length by asking F.conv1d on meta tensors": """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            p = 0
            while True:
                try:
                    n = F.conv1d(torch.empty(1, 1, size, device="meta"),
                                 torch.empty(1, 1, kernel_size, device="meta"),
                                 stride=stride, padding=p, dilation=dilation).shape[-1]
                except RuntimeError:                  # the kernel does not fit yet
                    n = 0
                if n == out_size:
                    return p
                if n > out_size:
                    raise ValueError("no padding gives this output length")
                p += 1
    """,
    "naive conv with F.unfold and a matrix product": """
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            def pair(v):
                return (v, v) if isinstance(v, int) else tuple(v)
            (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
            n, _, h, w = x.shape
            c_out, _, kh, kw = weight.shape
            cols = F.unfold(x, (kh, kw), dilation=dilation, padding=padding, stride=stride)
            h_out = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
            w_out = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
            out = (weight.reshape(c_out, -1) @ cols).view(n, c_out, h_out, w_out)
            if bias is not None:
                out = out + bias.view(1, -1, 1, 1)
            return out
    """,
    "naive conv with loops over output cells and torch's _pair": """
        from torch.nn.modules.utils import _pair
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            (sh, sw), (ph, pw), (dh, dw) = _pair(stride), _pair(padding), _pair(dilation)
            n, c_in, h, w = x.shape
            c_out, _, kh, kw = weight.shape
            xp = torch.zeros(n, c_in, h + 2 * ph, w + 2 * pw)
            xp[:, :, ph:ph + h, pw:pw + w] = x
            h_out = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
            w_out = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
            rows, cols = torch.arange(kh) * dh, torch.arange(kw) * dw
            out = torch.zeros(n, c_out, h_out, w_out)
            for i in range(h_out):
                for j in range(w_out):
                    window = xp[:, :, i * sh + rows][:, :, :, j * sw + cols]   # (N, C_in, kh, kw)
                    out[:, :, i, j] = torch.einsum("nckl,ockl->no", window, weight)
            if bias is not None:
                out += bias.view(1, -1, 1, 1)
            return out
    """,
    "naive conv with Tensor.unfold windows": """
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            def pair(v):
                return (v, v) if isinstance(v, int) else tuple(v)
            (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
            kh, kw = weight.shape[-2:]
            xp = F.pad(x, (pw, pw, ph, ph))
            windows = xp.unfold(2, dh * (kh - 1) + 1, sh).unfold(3, dw * (kw - 1) + 1, sw)
            windows = windows[..., ::dh, ::dw]                  # (N, C_in, H_out, W_out, kh, kw)
            out = torch.einsum("nchwkl,ockl->nohw", windows, weight)
            return out if bias is None else out + bias[None, :, None, None]
    """,
    "naive conv with a loop over channels and taps, settings as lists": """
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            settings = []
            for value in (stride, padding, dilation):
                settings.append([value, value] if isinstance(value, int) else list(value))
            (sh, sw), (ph, pw), (dh, dw) = settings
            n, c_in, h, w = x.shape
            c_out, _, kh, kw = weight.shape
            xp = F.pad(x, [pw, pw, ph, ph])
            h_out = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
            w_out = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
            out = torch.zeros(n, c_out, h_out, w_out)
            for o in range(c_out):
                for c in range(c_in):
                    for a in range(kh):
                        for b in range(kw):
                            part = xp[:, c, a * dh::sh, b * dw::sw][:, :h_out, :w_out]
                            out[:, o] += weight[o, c, a, b] * part
                if bias is not None:
                    out[:, o] += bias[o]
            return out
    """,
    "receptive field from the output down": """
        def receptive_field(layers):
            field = 1
            for kernel_size, stride, dilation in reversed(layers):
                field = (field - 1) * stride + dilation * (kernel_size - 1) + 1
            return field
    """,
    "receptive field with math.prod": """
        import math
        def receptive_field(layers):
            return 1 + sum(d * (k - 1) * math.prod(s for _, s, _ in layers[:i])
                           for i, (k, _, d) in enumerate(layers))
    """,
}


# A correct by-tap implementation of conv2d_naive with one place to plant each mistake.
NAIVE_TEMPLATE = """
    def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
        def pair(v):
            return {pair}
        (sh, sw), (ph, pw), (dh, dw) = pair(stride), pair(padding), pair(dilation)
        {tweak}
        n, c_in, h, w = x.shape
        c_out, _, kh, kw = weight.shape
        xp = {pad}
        h_out = {h_out}
        w_out = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
        out = torch.zeros(n, c_out, h_out, w_out)
        for a in range(kh):
            for b in range(kw):
                cells = xp[:, :, a * dh:a * dh + (h_out - 1) * sh + 1:sh,
                           b * dw:b * dw + (w_out - 1) * sw + 1:sw]
                out = out + {combine}
        if bias is not None:
            out = out + {bias}
        return out
"""
NAIVE_PARTS = {"pair": "(v, v) if isinstance(v, int) else tuple(v)", "tweak": "pass",
               "pad": "F.pad(x, (pw, pw, ph, ph))",
               "h_out": "(xp.shape[2] - dh * (kh - 1) - 1) // sh + 1",
               "combine": 'torch.einsum("oc,nchw->nohw", weight[:, :, a, b], cells)',
               "bias": "bias.view(1, -1, 1, 1)"}


def naive_with(**changes):
    return NAIVE_TEMPLATE.format(**{**NAIVE_PARTS, **changes})


def extra_naive_template_without_changes_is_correct():
    assert not failing(grade_with(ASSIGNMENT, source=naive_with()))


# A correct padding_for_output with one place to plant each mistake.
PAD_TEMPLATE = """
    def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
        for value in (size, kernel_size, out_size, stride, dilation):
            if {invalid}:
                raise {error}("every argument must be a positive int")
        span = {span}
        shortest = {shortest}
        longest = shortest + stride - 1
        p = {p}
        if {unreachable}:
            raise ValueError("no padding gives this length")
        return {result}
"""
PAD_PARTS = {"invalid": "isinstance(value, bool) or not isinstance(value, int) or value < 1",
             "error": "ValueError", "span": "dilation * (kernel_size - 1) + 1",
             "shortest": "(out_size - 1) * stride + span", "p": "max(0, -(-(shortest - size) // 2))",
             "unreachable": "size + 2 * p > longest", "result": "p"}


def pad_with(**changes):
    return PAD_TEMPLATE.format(**{**PAD_PARTS, **changes})


def extra_pad_template_without_changes_is_correct():
    assert not failing(grade_with(ASSIGNMENT, source=pad_with()))


WRONG = {
    # effective_kernel_size
    "effective kernel d*k": ("effective_kernel_size", """
        def effective_kernel_size(kernel_size, dilation=1):
            return dilation * kernel_size
    """),
    "effective kernel k+d": ("effective_kernel_size", """
        def effective_kernel_size(kernel_size, dilation=1):
            return kernel_size + dilation
    """),
    "effective kernel forgets the +1": ("effective_kernel_size", """
        def effective_kernel_size(kernel_size, dilation=1):
            return dilation * (kernel_size - 1)
    """),
    "effective kernel k+d-1": ("effective_kernel_size", """
        def effective_kernel_size(kernel_size, dilation=1):
            return kernel_size + dilation - 1
    """),
    "effective kernel ignores dilation": ("effective_kernel_size", """
        def effective_kernel_size(kernel_size, dilation=1):
            return kernel_size
    """),
    "effective kernel returns a float": ("effective_kernel_size", """
        def effective_kernel_size(kernel_size, dilation=1):
            return dilation * (kernel_size - 1) + 1.0
    """),
    # same_padding
    "same padding k//2 ignoring dilation": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            return kernel_size // 2
    """),
    "same padding k//2, raising for even k": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            if kernel_size % 2 == 0:
                raise ValueError("even kernel")
            return kernel_size // 2
    """),
    "same padding returns a float": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            if dilation * (kernel_size - 1) % 2:
                raise ValueError("odd total")
            return dilation * (kernel_size - 1) / 2
    """),
    "same padding never raises": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            return dilation * (kernel_size - 1) // 2
    """),
    "same padding raises for every even kernel": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            if kernel_size % 2 == 0:
                raise ValueError("even kernel")
            return dilation * (kernel_size - 1) // 2
    """),
    "same padding (k//2)*d": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            return (kernel_size // 2) * dilation
    """),
    "same padding raises the wrong exception": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            if dilation * (kernel_size - 1) % 2:
                raise RuntimeError("odd total")
            return dilation * (kernel_size - 1) // 2
    """),
    "same padding returns the total, not per side": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            if dilation * (kernel_size - 1) % 2:
                raise ValueError("odd total")
            return dilation * (kernel_size - 1)
    """),
    "same padding returns a pair": ("same_padding", """
        def same_padding(kernel_size, dilation=1):
            if dilation * (kernel_size - 1) % 2:
                raise ValueError("odd total")
            p = dilation * (kernel_size - 1) // 2
            return (p, p)
    """),
    # padding_for_output
    "padding from the formula, ceil, returned blindly": ("padding_for_output", pad_with(
        p="-(-(shortest - size) // 2)", unreachable="False")),
    "padding from the formula, floor, returned blindly": ("padding_for_output", pad_with(
        p="(shortest - size) // 2", unreachable="False")),
    "padding from the formula, clamped at 0, never unreachable": ("padding_for_output", pad_with(
        unreachable="False")),
    "padding negative instead of ValueError (checks the stride-1 parity only)": (
        "padding_for_output", pad_with(p="-(-(shortest - size) // 2)",
                                       unreachable="stride == 1 and (shortest - size) % 2")),
    "padding not the smallest (the largest that works)": ("padding_for_output", pad_with(
        p="max(0, (longest - size) // 2)", unreachable="size + 2 * p < shortest")),
    "padding forgets dilation": ("padding_for_output", pad_with(span="kernel_size")),
    "padding leaves out the + 1 of the output formula": ("padding_for_output", pad_with(
        shortest="out_size * stride + span")),
    "padding returns the total, not per side": ("padding_for_output", pad_with(
        p="max(0, shortest - size)", unreachable="False")),
    "padding returns a float": ("padding_for_output", pad_with(result="p / 1")),
    "padding accepts any number": ("padding_for_output", pad_with(invalid="value < 1")),
    "padding accepts bools": ("padding_for_output",
                              pad_with(invalid="not isinstance(value, int) or value < 1")),
    "padding raises TypeError for a non-int": ("padding_for_output", pad_with(
        invalid="not isinstance(value, int) or isinstance(value, bool)", error="TypeError")),
    "padding searches only up to the kernel size": ("padding_for_output", """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            for p in range(kernel_size):
                room = size + 2 * p - dilation * (kernel_size - 1) - 1
                if room >= 0 and room // stride + 1 == out_size:
                    return p
            raise ValueError("no padding gives this length")
    """),
    "padding rounds the output length up": ("padding_for_output", """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            for p in range(size + out_size * stride + dilation * kernel_size):
                room = size + 2 * p - dilation * (kernel_size - 1) - 1
                if room >= 0 and -(-room // stride) + 1 == out_size:
                    return p
            raise ValueError("no padding gives this length")
    """),
    "padding 0 whenever padding 0 gives enough outputs": ("padding_for_output", """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            shortest = (out_size - 1) * stride + span
            if shortest <= size:
                return 0
            p = -(-(shortest - size) // 2)
            if size + 2 * p > shortest + stride - 1:
                raise ValueError("no padding gives this output length")
            return p
    """),
    "padding with the effective kernel d*k": ("padding_for_output", pad_with(
        span="dilation * kernel_size")),
    "padding search compares the output length without the floor": ("padding_for_output", """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            for p in range(size + out_size * stride + span):
                if size + 2 * p >= span and (size + 2 * p - span) / stride + 1 == out_size:
                    return p
            raise ValueError("no padding gives this output length")
    """),
    "padding checks only that padding 0 is not too long": ("padding_for_output", pad_with(
        unreachable="size > longest")),
    "padding searches the total padding and halves it": ("padding_for_output", """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            for total in range(size + out_size * stride + span):
                if size + total >= span and (size + total - span) // stride + 1 == out_size:
                    return total // 2
            raise ValueError("no padding gives this output length")
    """),
    "padding searches only up to the input size": ("padding_for_output", """
        def padding_for_output(size, kernel_size, out_size, stride=1, dilation=1):
            for value in (size, kernel_size, out_size, stride, dilation):
                if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                    raise ValueError("every argument must be a positive int")
            span = dilation * (kernel_size - 1) + 1
            for p in range(size + 1):
                if size + 2 * p >= span and (size + 2 * p - span) // stride + 1 == out_size:
                    return p
            raise ValueError("no padding gives this output length")
    """),
    # conv2d_naive
    "naive conv flips the kernel": ("conv2d_naive", naive_with(tweak="weight = weight.flip(-1, -2)")),
    "naive conv ignores dilation": ("conv2d_naive", naive_with(tweak="dh = dw = 1")),
    "naive conv strides along the height only": ("conv2d_naive", naive_with(tweak="sw = 1")),
    "naive conv strides along the width only": ("conv2d_naive", naive_with(tweak="sh = 1")),
    "naive conv swaps the stride pair": ("conv2d_naive", naive_with(tweak="sh, sw = sw, sh")),
    "naive conv swaps the dilation pair": ("conv2d_naive", naive_with(tweak="dh, dw = dw, dh")),
    "naive conv swaps the padding pair (F.pad order)": ("conv2d_naive",
                                                        naive_with(pad="F.pad(x, (ph, ph, pw, pw))")),
    "naive conv pads one side only": ("conv2d_naive", naive_with(pad="F.pad(x, (pw, 0, ph, 0))")),
    "naive conv pads one side only, size from the formula": (
        "conv2d_naive", naive_with(pad="F.pad(x, (0, 2 * pw, 0, 2 * ph))")),
    "naive conv ignores padding": ("conv2d_naive", naive_with(pad="x")),
    "naive conv forgets the bias": ("conv2d_naive", naive_with(bias="0")),
    "naive conv reads only input channel 0": (
        "conv2d_naive", naive_with(combine='torch.einsum("o,nhw->nohw", weight[:, 0, a, b], cells[:, 0])')),
    "naive conv averages over input channels": (
        "conv2d_naive",
        naive_with(combine='torch.einsum("oc,nchw->nohw", weight[:, :, a, b], cells) / c_in')),
    "naive conv rounds the output size up": (
        "conv2d_naive", naive_with(h_out="-(-(xp.shape[2] - dh * (kh - 1) - 1) // sh) + 1")),
    "naive conv handles only int settings": ("conv2d_naive", naive_with(pair="(v, v)")),
    "naive conv calls F.conv2d": ("conv2d_naive", """
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return F.conv2d(x, weight, bias, stride=stride, padding=padding, dilation=dilation)
    """),
    "naive conv calls torch.conv2d": ("conv2d_naive", """
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return torch.conv2d(x, weight, bias, stride, padding, dilation)
    """),
    "naive conv builds an nn.Conv2d": ("conv2d_naive", """
        def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            c_out, c_in, kh, kw = weight.shape
            layer = nn.Conv2d(c_in, c_out, (kh, kw), stride=stride, padding=padding,
                              dilation=dilation, bias=bias is not None)
            with torch.no_grad():
                layer.weight.copy_(weight)
                if bias is not None:
                    layer.bias.copy_(bias)
                return layer(x)
    """),
    # receptive_field
    "receptive field sums kernel sizes": ("receptive_field", """
        def receptive_field(layers):
            return sum(k for k, s, d in layers)
    """),
    "receptive field ignores strides": ("receptive_field", """
        def receptive_field(layers):
            return 1 + sum(d * (k - 1) for k, s, d in layers)
    """),
    "receptive field ignores dilation": ("receptive_field", """
        def receptive_field(layers):
            field, jump = 1, 1
            for k, s, d in layers:
                field += (k - 1) * jump
                jump *= s
            return field
    """),
    "receptive field uses the current layer's stride": ("receptive_field", """
        def receptive_field(layers):
            field, jump = 1, 1
            for k, s, d in layers:
                jump *= s
                field += d * (k - 1) * jump
            return field
    """),
    "receptive field multiplies by all strides": ("receptive_field", """
        import math
        def receptive_field(layers):
            return 1 + sum(d * (k - 1) for k, s, d in layers) * math.prod(s for _, s, _ in layers)
    """),
    "receptive field recursion in the wrong order": ("receptive_field", """
        def receptive_field(layers):
            field = 1
            for k, s, d in layers:
                field = (field - 1) * s + d * (k - 1) + 1
            return field
    """),
    "receptive field multiplies kernel sizes": ("receptive_field", """
        import math
        def receptive_field(layers):
            return math.prod(d * (k - 1) + 1 for k, s, d in layers)
    """),
    "receptive field counts only the positions read (no holes)": ("receptive_field", """
        def receptive_field(layers):
            convs = []
            for k, s, d in layers:
                conv = nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
                nn.init.ones_(conv.weight)
                convs.append(conv)
            x = torch.ones(1, 1, 800, requires_grad=True)
            nn.Sequential(*convs)(x)[0, 0, 0].backward()
            return int((x.grad != 0).sum())
    """),
}


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "effective kernel d*k": {"s03_eks_dilated"},
    "effective kernel k+d": {"s03_eks_dilated", "s03_eks_plain"},
    "effective kernel forgets the +1": {"s03_eks_dilated", "s03_eks_plain"},
    "effective kernel k+d-1": {"s03_eks_dilated"},
    "effective kernel ignores dilation": {"s03_eks_dilated"},
    "effective kernel returns a float": {"s03_eks_dilated", "s03_eks_plain"},
    "same padding k//2 ignoring dilation": {"s03_same_dilated", "s03_same_errors"},
    "same padding k//2, raising for even k": {"s03_same_dilated", "s03_same_errors"},
    "same padding returns a float": {"s03_same_dilated", "s03_same_errors", "s03_same_odd"},
    "same padding never raises": {"s03_same_errors"},
    "same padding raises for every even kernel": {"s03_same_dilated", "s03_same_errors"},
    "same padding (k//2)*d": {"s03_same_dilated", "s03_same_errors"},
    "same padding raises the wrong exception": {"s03_same_errors"},
    "same padding returns the total, not per side": {"s03_same_dilated", "s03_same_errors", "s03_same_odd"},
    "same padding returns a pair": {"s03_same_dilated", "s03_same_errors", "s03_same_odd"},
    "padding from the formula, ceil, returned blindly": PAD_VALUES,
    "padding from the formula, floor, returned blindly": PAD_VALUES,
    "padding from the formula, clamped at 0, never unreachable": PAD_VALUES,
    "padding negative instead of ValueError (checks the stride-1 parity only)": PAD_VALUES,
    "padding not the smallest (the largest that works)": PAD_VALUES,
    "padding forgets dilation": {"s03_pad_stride1", "s03_pad_strided"},
    "padding leaves out the + 1 of the output formula": PAD_VALUES,
    "padding returns the total, not per side": PAD_VALUES,
    "padding returns a float": PAD_VALUES,
    "padding accepts any number": {"s03_pad_invalid"},
    "padding accepts bools": {"s03_pad_invalid"},
    "padding raises TypeError for a non-int": {"s03_pad_invalid"},
    "padding searches only up to the kernel size": {"s03_pad_stride1", "s03_pad_strided"},
    "padding rounds the output length up": {"s03_pad_strided"},
    "padding 0 whenever padding 0 gives enough outputs": PAD_VALUES,
    "padding with the effective kernel d*k": PAD_VALUES,
    "padding search compares the output length without the floor": {"s03_pad_strided"},
    "padding checks only that padding 0 is not too long": {"s03_pad_stride1", "s03_pad_unreachable"},
    "padding searches the total padding and halves it": PAD_VALUES,
    "padding searches only up to the input size": {"s03_pad_stride1", "s03_pad_strided"},
    "naive conv flips the kernel":
        {"s03_naive_basic", "s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv ignores dilation": {"s03_naive_dilation", "s03_naive_no_builtin"},
    "naive conv strides along the height only": {"s03_naive_dilation", "s03_naive_stride_padding"},
    "naive conv strides along the width only":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv swaps the stride pair":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv swaps the dilation pair": {"s03_naive_dilation", "s03_naive_no_builtin"},
    "naive conv swaps the padding pair (F.pad order)":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv pads one side only":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv pads one side only, size from the formula":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv ignores padding": {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv forgets the bias":
        {"s03_naive_basic", "s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv reads only input channel 0":
        {"s03_naive_basic", "s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv averages over input channels":
        {"s03_naive_basic", "s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv rounds the output size up":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv handles only int settings":
        {"s03_naive_dilation", "s03_naive_no_builtin", "s03_naive_stride_padding"},
    "naive conv calls F.conv2d": {"s03_naive_no_builtin"},
    "naive conv calls torch.conv2d": {"s03_naive_no_builtin"},
    "naive conv builds an nn.Conv2d": {"s03_naive_no_builtin"},
    "receptive field sums kernel sizes":
        {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_single", "s03_rf_strides"},
    "receptive field ignores strides": {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_strides"},
    "receptive field ignores dilation": {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_single"},
    "receptive field uses the current layer's stride":
        {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_single", "s03_rf_strides"},
    "receptive field multiplies by all strides":
        {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_single", "s03_rf_strides"},
    "receptive field recursion in the wrong order": {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_strides"},
    "receptive field multiplies kernel sizes": {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_strides"},
    "receptive field counts only the positions read (no holes)":
        {"s03_rf_dilation", "s03_rf_pytorch", "s03_rf_single", "s03_rf_strides"},
}
