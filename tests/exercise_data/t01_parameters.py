"""The exercises of 01_parameters, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "01_parameters"
COUNT = {"p01_count_basic", "p01_count_trainable", "p01_count_buffers", "p01_count_shared"}
CONV = {"p01_conv_square", "p01_conv_nonsquare", "p01_conv_no_bias"}
IDENTITY = {"p01_identity_type", "p01_identity_forward", "p01_identity_trainable"}
EXERCISES = {"count_parameters": COUNT, "conv2d_num_params": CONV,
             "make_identity_linear": IDENTITY}


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
}
