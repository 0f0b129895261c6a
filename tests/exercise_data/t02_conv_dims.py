"""The exercises of 02_conv_dims, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "02_conv_dims"
EMBED = {"c02_embed_values", "c02_embed_conv"}
SIZE = {"c02_size_basic", "c02_size_floor", "c02_size_dilation", "c02_size_errors"}
SHAPE = {"c02_shape_basic", "c02_shape_tuples", "c02_shape_errors"}
NAIVE = {"c02_naive_basic", "c02_naive_channels", "c02_naive_hyper", "c02_naive_no_builtin"}
EXERCISES = {"embeddings_to_conv1d_input": EMBED, "conv_output_size": SIZE,
             "conv_output_shape": SHAPE, "conv1d_naive": NAIVE}
# The reference conv_output_shape calls conv_output_size, so a wrong size may fail shape cells too.
MAY_ALSO_FAIL = {"conv_output_size": SHAPE}


CORRECT = {
    "size with math.floor and true division": """
        import math
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
            if min(size, kernel_size, stride, dilation) < 1 or padding < 0:
                raise ValueError("bad setting")
            out = math.floor((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
            if out < 1:
                raise ValueError("the kernel does not fit")
            return out
    """,
    "shape built from a real meta-device layer": """
        def conv_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
            dims = len(input_shape) - 2
            if dims not in (1, 2, 3):
                raise ValueError("1 to 3 sliding axes")
            for value in (kernel_size, stride, padding, dilation):
                if not isinstance(value, int) and len(value) != dims:
                    raise ValueError("one entry per sliding axis")
            layer = [nn.Conv1d, nn.Conv2d, nn.Conv3d][dims - 1](
                input_shape[1], out_channels, kernel_size, stride=stride, padding=padding,
                dilation=dilation, device="meta")
            return tuple(layer(torch.empty(input_shape, device="meta")).shape)
    """,
    "naive conv with explicit loops": """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            n, c_in, length = x.shape
            c_out, _, k = weight.shape
            xp = torch.zeros(n, c_in, length + 2 * padding)
            xp[:, :, padding:padding + length] = x
            l_out = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
            out = torch.zeros(n, c_out, l_out)
            for t in range(l_out):
                for j in range(k):
                    column = xp[:, :, t * stride + j * dilation]      # (N, C_in)
                    out[:, :, t] += column @ weight[:, :, j].T       # (N, C_out)
            if bias is not None:
                out += bias[None, :, None]
            return out
    """,
    "naive conv with unfold and einsum": """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            xp = F.pad(x, (padding, padding))
            k = weight.shape[-1]
            windows = xp.unfold(2, dilation * (k - 1) + 1, stride)[..., ::dilation]
            out = torch.einsum("nctk,ock->not", windows, weight)
            return out if bias is None else out + bias[:, None]
    """,
    "embeddings with permute": """
        def embeddings_to_conv1d_input(x):
            return x.permute(0, 2, 1)
    """,
}


_SIZE_CHECKS = """
            if min(size, kernel_size, stride, dilation) < 1 or padding < 0:
                raise ValueError("bad setting")
"""

WRONG = {
    # conv_output_size
    "size without the floor": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):""" + _SIZE_CHECKS + """
            return (size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride + 1
    """),
    "size rounds up": ("conv_output_size", """
        import math
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):""" + _SIZE_CHECKS + """
            return math.ceil((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
    """),
    "size rounds to nearest": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):""" + _SIZE_CHECKS + """
            return round((size + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1
    """),
    "size is the notes' formula without dilation": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):""" + _SIZE_CHECKS + """
            if size + 2 * padding < kernel_size:
                raise ValueError("does not fit")
            return (size - kernel_size + 2 * padding) // stride + 1
    """),
    "size counts padding once": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):""" + _SIZE_CHECKS + """
            span = dilation * (kernel_size - 1) + 1
            if size + padding < span:
                raise ValueError("does not fit")
            return (size + padding - span) // stride + 1
    """),
    "size forgets the +1": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):""" + _SIZE_CHECKS + """
            return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride
    """),
    "size never raises": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
            return (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
    """),
    "size raises only for a kernel that does not fit": ("conv_output_size", """
        def conv_output_size(size, kernel_size, stride=1, padding=0, dilation=1):
            out = (size + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1
            if out < 1:
                raise ValueError("does not fit")
            return out
    """),
    # conv_output_shape
    "shape keeps C_in": ("conv_output_shape", """
        def conv_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
            shape = conv_output_shape_reference(input_shape, out_channels, kernel_size, stride,
                                                padding, dilation)
            return (shape[0], input_shape[1], *shape[2:])
    """),
    "shape uses the first entry of every tuple": ("conv_output_shape", """
        def conv_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
            first = lambda v: v if isinstance(v, int) else v[0]
            return conv_output_shape_reference(input_shape, out_channels, first(kernel_size),
                                               first(stride), first(padding), first(dilation))
    """),
    "shape drops the batch axis": ("conv_output_shape", """
        def conv_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
            return conv_output_shape_reference(input_shape, out_channels, kernel_size, stride,
                                               padding, dilation)[1:]
    """),
    "shape returns a list": ("conv_output_shape", """
        def conv_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
            return list(conv_output_shape_reference(input_shape, out_channels, kernel_size,
                                                    stride, padding, dilation))
    """),
    "shape accepts any number of axes": ("conv_output_shape", """
        def conv_output_shape(input_shape, out_channels, kernel_size, stride=1, padding=0,
                              dilation=1):
            dims = len(input_shape) - 2
            per = lambda v: (v,) * dims if isinstance(v, int) else tuple(v)
            sizes = [conv_output_size(n, k, s, p, d) for n, k, s, p, d in zip(
                input_shape[2:], per(kernel_size), per(stride), per(padding), per(dilation))]
            return (input_shape[0], out_channels, *sizes)
    """),
    # conv1d_naive
    "naive flips the kernel (true convolution)": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return conv1d_naive_reference(x, weight.flip(-1), bias, stride, padding, dilation)
    """),
    "naive ignores dilation": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return conv1d_naive_reference(x, weight, bias, stride, padding, 1)
    """),
    "naive pads one end only": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return conv1d_naive_reference(F.pad(x, (2 * padding, 0)), weight, bias, stride, 0,
                                          dilation)
    """),
    "naive forgets the bias": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return conv1d_naive_reference(x, weight, None, stride, padding, dilation)
    """),
    "naive does not sum over input channels": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            out = conv1d_naive_reference(x[:, :1], weight[:, :1], bias, stride, padding, dilation)
            return out
    """),
    "naive averages over input channels": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            out = conv1d_naive_reference(x, weight, None, stride, padding, dilation) / x.shape[1]
            return out if bias is None else out + bias[:, None]
    """),
    "naive builds an nn.Conv1d": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            layer = nn.Conv1d(x.shape[1], weight.shape[0], weight.shape[2], stride=stride,
                              padding=padding, dilation=dilation, bias=bias is not None)
            with torch.no_grad():
                layer.weight.copy_(weight)
                if bias is not None:
                    layer.bias.copy_(bias)
                return layer(x)
    """),
    "naive calls F.conv1d": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            return F.conv1d(x, weight, bias, stride=stride, padding=padding, dilation=dilation)
    """),
    "naive pads x in place": ("conv1d_naive", """
        def conv1d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
            out = conv1d_naive_reference(x, weight, bias, stride, padding, dilation)
            x.mul_(0)
            return out
    """),
    # embeddings_to_conv1d_input
    "embeddings reshaped instead of transposed": ("embeddings_to_conv1d_input", """
        def embeddings_to_conv1d_input(x):
            n, length, embedding = x.shape
            return x.reshape(n, embedding, length)
    """),
    "embeddings viewed instead of transposed": ("embeddings_to_conv1d_input", """
        def embeddings_to_conv1d_input(x):
            return x.view(x.shape[0], x.shape[2], x.shape[1])
    """),
    "embeddings transposed on the wrong axes": ("embeddings_to_conv1d_input", """
        def embeddings_to_conv1d_input(x):
            return x.transpose(0, 2)
    """),
}

# Wrong answers reuse the reference where only one mistake is being played.
WRONG_PREFIX = """
conv_output_shape_reference = conv_output_shape
conv1d_naive_reference = conv1d_naive
"""


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "size without the floor":
        {"c02_shape_basic", "c02_shape_tuples", "c02_size_basic", "c02_size_dilation", "c02_size_errors",
         "c02_size_floor"},
    "size rounds up":
        {"c02_shape_basic", "c02_shape_tuples", "c02_size_dilation", "c02_size_errors", "c02_size_floor"},
    "size rounds to nearest":
        {"c02_shape_basic", "c02_shape_tuples", "c02_size_dilation", "c02_size_errors", "c02_size_floor"},
    "size is the notes' formula without dilation":
        {"c02_shape_basic", "c02_shape_tuples", "c02_size_dilation", "c02_size_errors"},
    "size counts padding once":
        {"c02_shape_basic", "c02_shape_tuples", "c02_size_basic", "c02_size_dilation", "c02_size_errors",
         "c02_size_floor"},
    "size forgets the +1":
        {"c02_shape_basic", "c02_shape_tuples", "c02_size_basic", "c02_size_dilation", "c02_size_errors",
         "c02_size_floor"},
    "size never raises": {"c02_size_errors"},
    "size raises only for a kernel that does not fit": {"c02_size_errors"},
    "shape keeps C_in": {"c02_shape_basic", "c02_shape_tuples"},
    "shape uses the first entry of every tuple": {"c02_shape_errors", "c02_shape_tuples"},
    "shape drops the batch axis": {"c02_shape_basic", "c02_shape_tuples"},
    "shape returns a list": {"c02_shape_basic", "c02_shape_tuples"},
    "shape accepts any number of axes": {"c02_shape_errors"},
    "naive flips the kernel (true convolution)":
        {"c02_naive_basic", "c02_naive_channels", "c02_naive_hyper", "c02_naive_no_builtin"},
    "naive ignores dilation": {"c02_naive_hyper", "c02_naive_no_builtin"},
    "naive pads one end only": {"c02_naive_hyper", "c02_naive_no_builtin"},
    "naive forgets the bias": {"c02_naive_channels", "c02_naive_hyper", "c02_naive_no_builtin"},
    "naive does not sum over input channels":
        {"c02_naive_channels", "c02_naive_hyper", "c02_naive_no_builtin"},
    "naive averages over input channels": {"c02_naive_channels", "c02_naive_hyper", "c02_naive_no_builtin"},
    "naive builds an nn.Conv1d": {"c02_naive_no_builtin"},
    "naive calls F.conv1d": {"c02_naive_no_builtin"},
    "naive pads x in place": {"c02_naive_basic", "c02_naive_channels", "c02_naive_hyper"},
    "embeddings reshaped instead of transposed": {"c02_embed_conv", "c02_embed_values"},
    "embeddings viewed instead of transposed": {"c02_embed_conv", "c02_embed_values"},
    "embeddings transposed on the wrong axes": {"c02_embed_conv", "c02_embed_values"},
}

# An unsolved exercise also fails these cells of the exercises that call it.
STUB_ALSO_FAILS = {"conv_output_size": {"c02_shape_basic", "c02_shape_tuples"}}
