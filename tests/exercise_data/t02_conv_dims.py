"""The exercises of 02_conv_dims, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "02_conv_dims"
EMBED = {"c02_embed_values", "c02_embed_conv"}
SIZE = {"c02_size_basic", "c02_size_floor", "c02_size_dilation", "c02_size_errors"}
SHAPE = {"c02_shape_basic", "c02_shape_tuples", "c02_shape_errors"}
NAIVE = {"c02_naive_basic", "c02_naive_channels", "c02_naive_hyper", "c02_naive_no_builtin"}
DOWN = {"c02_down_structure", "c02_down_factor2", "c02_down_factor4", "c02_down_factor8",
        "c02_down_errors"}
EXERCISES = {"embeddings_to_conv1d_input": EMBED, "conv_output_size": SIZE,
             "conv_output_shape": SHAPE, "conv1d_naive": NAIVE, "design_downsampler": DOWN}
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
    # design_downsampler: any layers that give the shapes are correct
    "downsampler as kernel-2 stride-2 convolutions with ReLUs": """
        def design_downsampler(in_channels, out_channels, factor):
            if type(factor) is not int or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            steps = {2: 1, 4: 2, 8: 3}[factor]
            layers = [nn.Conv2d(in_channels, out_channels, 2, stride=2)]
            for _ in range(steps - 1):
                layers += [nn.ReLU(), nn.Conv2d(out_channels, out_channels, 2, stride=2)]
            return nn.Sequential(*layers)
    """,
    "downsampler as one convolution with kernel and stride equal to the factor": """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in {2, 4, 8}:
                raise ValueError(f"bad factor {factor!r}")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, factor, stride=factor),
                                 nn.ReLU())
    """,
    "downsampler with kernel 4, stride 2, padding 1 and math.log2": """
        import math
        def design_downsampler(in_channels, out_channels, factor):
            if not (type(factor) is int and factor in (2, 4, 8)):
                raise ValueError("factor must be 2, 4 or 8")
            model = nn.Sequential()
            channels = in_channels
            for i in range(int(math.log2(factor))):
                model.append(nn.Conv2d(channels, out_channels, kernel_size=4, stride=2, padding=1))
                model.append(nn.ReLU())
                channels = out_channels
            return model
    """,
    "downsampler with dilated kernels, channels changed at the end": """
        def design_downsampler(in_channels, out_channels, factor):
            allowed = [2, 4, 8]
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in allowed:
                raise ValueError("factor must be 2, 4 or 8")
            layers = []
            for _ in range(allowed.index(factor) + 1):
                layers.append(nn.Conv2d(in_channels, in_channels, 3, stride=2, padding=2,
                                        dilation=2))
            if len(layers) == 3:
                layers[-1] = nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=2, dilation=2)
            else:
                layers.append(nn.Conv2d(in_channels, out_channels, kernel_size=1))
            return nn.Sequential(*layers)
    """,
    "downsampler as a pointwise then a depthwise strided convolution, from an OrderedDict": """
        from collections import OrderedDict
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int):
                raise ValueError("factor must be an int")
            if factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            return nn.Sequential(OrderedDict([
                ("mix", nn.Conv2d(in_channels, out_channels, kernel_size=1)),
                ("act", nn.ReLU()),
                ("shrink", nn.Conv2d(out_channels, out_channels, kernel_size=factor + 1,
                                     stride=factor, padding=factor // 2, groups=out_channels)),
            ]))
    """,
    "downsampler for 8 as stride 4 then stride 2": """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            if factor == 8:
                return nn.Sequential(nn.Conv2d(in_channels, out_channels, 5, stride=4, padding=2),
                                     nn.ReLU(), nn.ReLU(),
                                     nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1))
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=factor, padding=1))
    """,
    "downsampler with NumPy ints, a while loop, reflect padding and no bias": """
        import numpy as np
        def design_downsampler(in_channels, out_channels, factor):
            if type(factor) is not int or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            layers, channels = [], in_channels
            while factor > 1:
                layers.append(nn.Conv2d(channels, out_channels, kernel_size=(np.int64(3), np.int64(3)),
                                        stride=np.int64(2), padding=(1, 1), bias=False,
                                        padding_mode="reflect"))
                channels, factor = out_channels, factor // 2
            return nn.Sequential(*layers)
    """,
    "downsampler as one convolution with kernel 2 * factor, stride factor, padding factor / 2": """
        def design_downsampler(in_channels, out_channels, factor):
            if factor.__class__ is not int or factor not in [2, 4, 8]:
                raise ValueError(f"factor {factor!r} is not 2, 4 or 8")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, 2 * factor, stride=factor,
                                           padding=factor // 2))
    """,
    "downsampler with a ReLU first, a 'same' 3x3 convolution, then kernel and stride factor": """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            model = nn.Sequential()
            model.add_module("act", nn.ReLU(inplace=True))
            model.add_module("features", nn.Conv2d(in_channels, out_channels, 3, padding="same"))
            model.add_module("act2", nn.ReLU())
            model.add_module("shrink", nn.Conv2d(out_channels, out_channels, factor, stride=factor))
            return model
    """,
    "downsampler as a 7x7 stride-2 stem, then 1x1 stride-2 convolutions": """
        def design_downsampler(in_channels, out_channels, factor):
            halvings = {2: 1, 4: 2, 8: 3}
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in halvings:
                raise ValueError("factor must be 2, 4 or 8")
            layers = [nn.Conv2d(in_channels, out_channels, 7, stride=2, padding=3)]
            for _ in range(halvings[factor] - 1):
                layers += [nn.ReLU(), nn.Conv2d(out_channels, out_channels, 1, stride=2)]
            return nn.Sequential(*layers)
    """,
    "downsampler as one dilated kernel-2 convolution with stride factor and padding 1": """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, 2, stride=factor, padding=1,
                                           dilation=2))
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

    # design_downsampler
    "downsampler with kernel 3 and stride 2 but no padding": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            layers, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                layers += [nn.Conv2d(channels, out_channels, kernel_size=3, stride=2), nn.ReLU()]
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler keeps in_channels": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            return nn.Sequential(nn.Conv2d(in_channels, in_channels, factor, stride=factor))
    """),
    "downsampler with kernel 4 and stride 2 but no padding": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            layers, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                layers.append(nn.Conv2d(channels, out_channels, kernel_size=4, stride=2))
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler shrinks with MaxPool2d": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.ReLU(),
                                 nn.MaxPool2d(factor))
    """),
    "downsampler with two convolutions per halving": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            layers, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                layers += [nn.Conv2d(channels, out_channels, 3, padding=1), nn.ReLU(),
                           nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1), nn.ReLU()]
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler with factor // 2 halvings": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            layers, channels = [], in_channels
            for _ in range(factor // 2):
                layers.append(nn.Conv2d(channels, out_channels, 2, stride=2))
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler gives every convolution in_channels inputs": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            steps = {2: 1, 4: 2, 8: 3}[factor]
            return nn.Sequential(*[nn.Conv2d(in_channels, out_channels, 2, stride=2)
                                   for _ in range(steps)])
    """),
    "downsampler returns a list": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            return [nn.Conv2d(in_channels, out_channels, factor, stride=factor)]
    """),
    "downsampler returns an nn.ModuleList": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            return nn.ModuleList([nn.Conv2d(in_channels, out_channels, factor, stride=factor)])
    """),
    "downsampler accepts factor 3": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, factor, stride=factor))
    """),
    "downsampler checks only that factor is even": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if factor % 2:
                raise ValueError("factor must be even")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, factor, stride=factor))
    """),
    "downsampler asserts instead of raising ValueError": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            assert factor in (2, 4, 8), "factor must be 2, 4 or 8"
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, factor, stride=factor))
    """),
    "downsampler accepts the float 2.0": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if factor not in (2, 4, 8):
                raise ValueError("factor must be 2, 4 or 8")
            layers, channels = [], in_channels
            for _ in range(int(factor).bit_length() - 1):
                layers.append(nn.Conv2d(channels, out_channels, 3, stride=2, padding=1))
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler with an unpadded 3x3 layer first, made up for by more padding later": (
        "design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3), nn.ReLU(),
                                 nn.Conv2d(out_channels, out_channels, factor + 1, stride=factor,
                                           padding=factor // 2 + 1))
    """),
    "downsampler nests an nn.Sequential per halving": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            blocks, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                blocks.append(nn.Sequential(nn.Conv2d(channels, out_channels, 3, stride=2, padding=1),
                                            nn.ReLU()))
                channels = out_channels
            return nn.Sequential(*blocks)
    """),
    "downsampler with padding='same' and stride 2": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            layers, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                layers.append(nn.Conv2d(channels, out_channels, 3, stride=2, padding="same"))
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler keeps padding 1 with a 5x5 kernel": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            layers, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                layers += [nn.Conv2d(channels, out_channels, 5, stride=2, padding=1), nn.ReLU()]
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler with kernel 2, stride 2 and padding 1": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            layers, channels = [], in_channels
            for _ in range({2: 1, 4: 2, 8: 3}[factor]):
                layers.append(nn.Conv2d(channels, out_channels, 2, stride=2, padding=1))
                channels = out_channels
            return nn.Sequential(*layers)
    """),
    "downsampler strides along the height only": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, (factor, 1), stride=(factor, 1)))
    """),
    "downsampler as one kernel-3 convolution with stride factor and no padding": ("design_downsampler", """
        def design_downsampler(in_channels, out_channels, factor):
            if isinstance(factor, bool) or not isinstance(factor, int) or factor not in (2, 4, 8):
                raise ValueError("bad factor")
            return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride=factor))
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
    "downsampler with kernel 3 and stride 2 but no padding":
        {"c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler keeps in_channels": {"c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler with kernel 4 and stride 2 but no padding":
        {"c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler shrinks with MaxPool2d": {"c02_down_structure"},
    "downsampler with two convolutions per halving": {"c02_down_structure"},
    "downsampler with factor // 2 halvings": {"c02_down_structure", "c02_down_factor8"},
    "downsampler gives every convolution in_channels inputs": {"c02_down_factor4", "c02_down_factor8"},
    "downsampler returns a list":
        {"c02_down_structure", "c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler returns an nn.ModuleList":
        {"c02_down_structure", "c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler accepts factor 3": {"c02_down_errors"},
    "downsampler checks only that factor is even": {"c02_down_errors"},
    "downsampler asserts instead of raising ValueError": {"c02_down_errors"},
    "downsampler accepts the float 2.0": {"c02_down_errors"},
    "downsampler with an unpadded 3x3 layer first, made up for by more padding later":
        {"c02_down_factor2"},
    "downsampler nests an nn.Sequential per halving": {"c02_down_structure"},
    "downsampler with padding='same' and stride 2":
        {"c02_down_structure", "c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler keeps padding 1 with a 5x5 kernel":
        {"c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler with kernel 2, stride 2 and padding 1":
        {"c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler strides along the height only":
        {"c02_down_factor2", "c02_down_factor4", "c02_down_factor8"},
    "downsampler as one kernel-3 convolution with stride factor and no padding": {"c02_down_factor2"},
}

# An unsolved exercise also fails these cells of the exercises that call it.
STUB_ALSO_FAILS = {"conv_output_size": {"c02_shape_basic", "c02_shape_tuples"}}
