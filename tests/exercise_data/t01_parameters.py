"""The exercises of 01_parameters, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "01_parameters"
COUNT = {"p01_count_basic", "p01_count_trainable", "p01_count_buffers", "p01_count_shared"}
CONV = {"p01_conv_square", "p01_conv_nonsquare", "p01_conv_no_bias"}
IDENTITY = {"p01_identity_type", "p01_identity_forward", "p01_identity_trainable"}
RELU = {"p01_relu_in_place", "p01_relu_bias", "p01_relu_scale", "p01_relu_widths"}
EXERCISES = {"count_parameters": COUNT, "conv2d_num_params": CONV,
             "make_identity_linear": IDENTITY, "init_relu_mlp_": RELU}


CORRECT = {
    "count via named_parameters and a loop": """
        def count_parameters(model, trainable_only=True):
            total = 0
            for _, p in model.named_parameters():
                if trainable_only and not p.requires_grad:
                    continue
                total += p.numel()
            return total
    """,
    "count via math.prod of shapes": """
        import math
        def count_parameters(model, trainable_only=True):
            params = [p for p in model.parameters() if p.requires_grad or not trainable_only]
            return sum(math.prod(p.shape) for p in params)
    """,
    "conv with torch's _pair": """
        from torch.nn.modules.utils import _pair
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = _pair(kernel_size)
            return out_channels * (in_channels * kh * kw + int(bias))
    """,
    "identity without a bias": """
        def make_identity_linear(n):
            layer = nn.Linear(n, n, bias=False)
            nn.init.eye_(layer.weight)
            return layer
    """,
    "identity by copying under no_grad": """
        def make_identity_linear(n):
            layer = nn.Linear(n, n)
            with torch.no_grad():
                layer.weight.copy_(torch.eye(n))
                layer.bias.zero_()
            return layer
    """,
    "He init with kaiming_uniform_'s defaults, via modules()": """
        def init_relu_mlp_(model):
            for module in model.modules():
                if isinstance(module, nn.Linear):
                    nn.init.kaiming_uniform_(module.weight)
                    nn.init.zeros_(module.bias)
            return model
    """,
    "normal_ with std sqrt(2 / in_features), written under no_grad": """
        import math
        def init_relu_mlp_(model):
            with torch.no_grad():
                for layer in model:
                    if isinstance(layer, nn.Linear):
                        layer.weight.normal_(0.0, math.sqrt(2.0 / layer.in_features))
                        layer.bias.fill_(0.0)
            return model
    """,
    "uniform_ on +-sqrt(6 / fan_in), through model.apply": """
        def _he_uniform(module):
            if type(module) is nn.Linear:
                bound = (6 / module.weight.shape[1]) ** 0.5
                nn.init.uniform_(module.weight, -bound, bound)
                module.bias.data.zero_()

        def init_relu_mlp_(model):
            model.apply(_he_uniform)
            return model
    """,
    "trunc_normal_ (absolute bounds, so hardly truncated) with the He std": """
        def init_relu_mlp_(model):
            for layer in model[::2]:
                std = (2 / layer.in_features) ** 0.5
                nn.init.trunc_normal_(layer.weight, std=std)
                nn.init.constant_(layer.bias, 0)
            return model
    """,
    "He init: kaiming_normal_'s defaults via children(), bias through .data": """
        def init_relu_mlp_(model):
            for layer in model.children():
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight)
                    layer.bias.data.zero_()
            return model
    """,
    "He init: NumPy std, randn copied in under no_grad, an index loop": """
        import numpy as np
        def init_relu_mlp_(model):
            with torch.no_grad():
                for i in range(0, len(model), 2):
                    w = model[i].weight
                    w.copy_(torch.randn(w.shape) * np.sqrt(2 / w.shape[1]))
                    model[i].bias.zero_()
            return model
    """,
    "He init: by each parameter's dimension, over model.parameters()": """
        def init_relu_mlp_(model):
            for p in model.parameters():
                if p.dim() == 2:
                    nn.init.kaiming_normal_(p, mode="fan_in", nonlinearity="relu")
                else:
                    nn.init.zeros_(p)
            return model
    """,
    "He init: uniform from rand() * 2 - 1, assigned through .data": """
        import math
        def init_relu_mlp_(model):
            for layer in model:
                if type(layer) is nn.Linear:
                    out_f, in_f = layer.weight.shape
                    layer.weight.data = (torch.rand(out_f, in_f) * 2 - 1) * math.sqrt(6 / in_f)
                    layer.bias.data = torch.zeros(out_f)
            return model
    """,
    "count with filter and a NumPy sum": """
        import numpy as np
        def count_parameters(model, trainable_only=True):
            keep = filter(lambda p: p.requires_grad or not trainable_only, model.parameters())
            return int(np.sum([p.numel() for p in keep], dtype=np.int64))
    """,
    "conv with math.prod and a bool bias": """
        import math
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            sides = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
            return in_channels * out_channels * math.prod(sides) + bias * out_channels
    """,
    "identity assigned through .data": """
        def make_identity_linear(n):
            layer = nn.Linear(n, n)
            layer.weight.data = torch.eye(n)
            layer.bias.data.fill_(0)
            return layer
    """,
}


WRONG = {
    # count_parameters
    "counts tensors, not elements": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return len([p for p in model.parameters() if p.requires_grad or not trainable_only])
    """),
    "counts buffers via state_dict": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return sum(v.numel() for v in model.state_dict().values())
    """),
    "counts parameters and buffers": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            tensors = [p for p in model.parameters() if p.requires_grad or not trainable_only]
            return sum(t.numel() for t in tensors + list(model.buffers()))
    """),
    "ignores trainable_only": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return sum(p.numel() for p in model.parameters())
    """),
    "always skips frozen parameters": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return sum(p.numel() for p in model.parameters() if p.requires_grad)
    """),
    "counts tied weights twice (per-module loop)": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return sum(p.numel() for m in model.modules() for p in m.parameters(recurse=False)
                       if p.requires_grad or not trainable_only)
    """),
    "counts tied weights twice (remove_duplicate=False)": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False)
                       if p.requires_grad or not trainable_only)
    """),
    "returns a tensor": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return torch.tensor(sum(p.numel() for p in model.parameters()
                                    if p.requires_grad or not trainable_only))
    """),
    # conv2d_num_params
    "conv forgets the bias": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * in_channels * kh * kw
    """),
    "conv ignores bias=False": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * in_channels * kh * kw + out_channels
    """),
    "conv forgets in_channels": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * kh * kw + (out_channels if bias else 0)
    """),
    "conv bias per input channel": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * in_channels * kh * kw + (in_channels if bias else 0)
    """),
    "conv squares the first side of a tuple": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
            return out_channels * in_channels * k * k + (out_channels if bias else 0)
    """),
    "conv handles only tuples": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = kernel_size
            return out_channels * in_channels * kh * kw + (out_channels if bias else 0)
    """),
    "conv adds kernel sides instead of multiplying": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * in_channels * (kh + kw) + (out_channels if bias else 0)
    """),
    # make_identity_linear
    "identity forgets to zero the bias": ("make_identity_linear", """
        def make_identity_linear(n):
            layer = nn.Linear(n, n)
            nn.init.eye_(layer.weight)
            return layer
    """),
    "identity returns the default random Linear": ("make_identity_linear", """
        def make_identity_linear(n):
            return nn.Linear(n, n)
    """),
    "identity freezes the parameters": ("make_identity_linear", """
        def make_identity_linear(n):
            layer = nn.Linear(n, n)
            nn.init.eye_(layer.weight)
            nn.init.zeros_(layer.bias)
            return layer.requires_grad_(False)
    """),
    "identity returns nn.Identity": ("make_identity_linear", """
        def make_identity_linear(n):
            return nn.Identity()
    """),
    "identity fills the weight with ones": ("make_identity_linear", """
        def make_identity_linear(n):
            layer = nn.Linear(n, n)
            nn.init.ones_(layer.weight)
            nn.init.zeros_(layer.bias)
            return layer
    """),
    # init_relu_mlp_
    "init keeps PyTorch's default": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            return model
    """),
    "init redraws PyTorch's default, biases zeroed": ("init_relu_mlp_", """
        import math
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_uniform_(layer.weight, a=math.sqrt(5))
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with Xavier (no gain)": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_normal_(layer.weight)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with variance 1 / fan_in (forgets ReLU's factor 2)": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.normal_(layer.weight, std=layer.in_features ** -0.5)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with normal_'s default std 1": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.normal_(layer.weight)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with a fixed std of 0.02": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.normal_(layer.weight, std=0.02)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init scales by fan_out": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with Xavier and ReLU's gain": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.xavier_normal_(layer.weight, gain=nn.init.calculate_gain("relu"))
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with a constant weight of the He size": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.constant_(layer.weight, (2 / layer.in_features) ** 0.5)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init keeps the default bias": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            return model
    """),
    "init assigns new nn.Parameter objects": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    std = (2 / layer.in_features) ** 0.5
                    layer.weight = nn.Parameter(torch.randn(layer.out_features, layer.in_features) * std)
                    layer.bias = nn.Parameter(torch.zeros(layer.out_features))
            return model
    """),
    "init returns nothing": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                    nn.init.zeros_(layer.bias)
    """),
    "init uses the He std as a uniform bound": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    bound = (2 / layer.in_features) ** 0.5
                    nn.init.uniform_(layer.weight, -bound, bound)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init reads fan_in from weight.shape[0]": ("init_relu_mlp_", """
        import math
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.normal_(layer.weight, std=math.sqrt(2 / layer.weight.shape[0]))
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with std 2 / fan_in (variance and std confused)": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.normal_(layer.weight, std=2 / layer.in_features)
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with kaiming_normal_ and tanh's gain": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="tanh")
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init with kaiming_normal_ and the default's a = sqrt(5)": ("init_relu_mlp_", """
        import math
        def init_relu_mlp_(model):
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, a=math.sqrt(5))
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init skips the last Linear": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            for layer in list(model)[:-1]:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "init leaves the last Linear's weight at the default": ("init_relu_mlp_", """
        def init_relu_mlp_(model):
            linears = [m for m in model if isinstance(m, nn.Linear)]
            for layer in linears:
                nn.init.zeros_(layer.bias)
            for layer in linears[:-1]:
                nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
            return model
    """),
    "init returns a re-initialized copy": ("init_relu_mlp_", """
        import copy
        def init_relu_mlp_(model):
            model = copy.deepcopy(model)
            for layer in model:
                if isinstance(layer, nn.Linear):
                    nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
                    nn.init.zeros_(layer.bias)
            return model
    """),
    "count keeps requires_grad == trainable_only": ("count_parameters", """
        def count_parameters(model, trainable_only=True):
            return sum(p.numel() for p in model.parameters() if p.requires_grad == trainable_only)
    """),
    "conv multiplies the bias into every kernel element": ("conv2d_num_params", """
        def conv2d_num_params(in_channels, out_channels, kernel_size, bias=True):
            kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
            return out_channels * (in_channels + int(bias)) * kh * kw
    """),
}


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "counts tensors, not elements":
        {"p01_count_basic", "p01_count_buffers", "p01_count_shared", "p01_count_trainable"},
    "counts buffers via state_dict": {"p01_count_buffers", "p01_count_shared", "p01_count_trainable"},
    "counts parameters and buffers": {"p01_count_buffers"},
    "ignores trainable_only": {"p01_count_trainable"},
    "always skips frozen parameters": {"p01_count_trainable"},
    "counts tied weights twice (per-module loop)": {"p01_count_shared"},
    "counts tied weights twice (remove_duplicate=False)": {"p01_count_shared"},
    "returns a tensor": {"p01_count_basic", "p01_count_buffers", "p01_count_shared", "p01_count_trainable"},
    "conv forgets the bias": {"p01_conv_no_bias", "p01_conv_nonsquare", "p01_conv_square"},
    "conv ignores bias=False": {"p01_conv_no_bias"},
    "conv forgets in_channels": {"p01_conv_no_bias", "p01_conv_nonsquare", "p01_conv_square"},
    "conv bias per input channel": {"p01_conv_no_bias", "p01_conv_nonsquare", "p01_conv_square"},
    "conv squares the first side of a tuple": {"p01_conv_no_bias", "p01_conv_nonsquare"},
    "conv handles only tuples": {"p01_conv_no_bias", "p01_conv_nonsquare", "p01_conv_square"},
    "conv adds kernel sides instead of multiplying":
        {"p01_conv_no_bias", "p01_conv_nonsquare", "p01_conv_square"},
    "identity forgets to zero the bias": {"p01_identity_forward"},
    "identity returns the default random Linear": {"p01_identity_forward"},
    "identity freezes the parameters": {"p01_identity_trainable"},
    "identity returns nn.Identity": {"p01_identity_trainable", "p01_identity_type"},
    "identity fills the weight with ones": {"p01_identity_forward"},
    "init keeps PyTorch's default":
        {"p01_relu_bias", "p01_relu_in_place", "p01_relu_scale", "p01_relu_widths"},
    "init redraws PyTorch's default, biases zeroed": {"p01_relu_scale", "p01_relu_widths"},
    "init with Xavier (no gain)": {"p01_relu_scale", "p01_relu_widths"},
    "init with variance 1 / fan_in (forgets ReLU's factor 2)": {"p01_relu_scale", "p01_relu_widths"},
    "init with normal_'s default std 1": {"p01_relu_scale", "p01_relu_widths"},
    "init with a fixed std of 0.02": {"p01_relu_scale", "p01_relu_widths"},
    "init scales by fan_out": {"p01_relu_widths"},
    "init with Xavier and ReLU's gain": {"p01_relu_widths"},
    "init with a constant weight of the He size": {"p01_relu_scale", "p01_relu_widths"},
    "init keeps the default bias": {"p01_relu_bias"},
    "init assigns new nn.Parameter objects": {"p01_relu_in_place"},
    "init returns nothing": {"p01_relu_in_place", "p01_relu_bias", "p01_relu_scale", "p01_relu_widths"},
    "init uses the He std as a uniform bound": {"p01_relu_scale", "p01_relu_widths"},
    "init reads fan_in from weight.shape[0]": {"p01_relu_widths"},
    "init with std 2 / fan_in (variance and std confused)": {"p01_relu_scale", "p01_relu_widths"},
    "init with kaiming_normal_ and tanh's gain": {"p01_relu_scale", "p01_relu_widths"},
    "init with kaiming_normal_ and the default's a = sqrt(5)": {"p01_relu_scale", "p01_relu_widths"},
    "init skips the last Linear": {"p01_relu_bias", "p01_relu_in_place"},
    "init leaves the last Linear's weight at the default": {"p01_relu_in_place"},
    "init returns a re-initialized copy": {"p01_relu_in_place", "p01_relu_scale"},
    "count keeps requires_grad == trainable_only": {"p01_count_buffers", "p01_count_trainable"},
    "conv multiplies the bias into every kernel element":
        {"p01_conv_no_bias", "p01_conv_nonsquare", "p01_conv_square"},
}
