"""The exercises of 10_normalization, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "10_normalization"
BATCH_NORM = {"n10_bn_2d", "n10_bn_nd", "n10_bn_eps", "n10_bn_errors"}
LAYER_NORM = {"n10_ln_last", "n10_ln_trailing", "n10_ln_errors"}
RUNNING = {"n10_rs_2d", "n10_rs_4d", "n10_rs_inputs"}
FOLD = {"n10_fold_basic", "n10_fold_geometry", "n10_fold_inputs"}
EXERCISES = {"batch_norm": BATCH_NORM, "layer_norm": LAYER_NORM, "update_running_stats": RUNNING,
             "fold_batch_norm": FOLD}

CORRECT = {
    "batch_norm: var_mean over a list of dims, weight via view": """
        def batch_norm(x, weight=None, bias=None, eps=1e-5):
            dims = [0] + list(range(2, x.dim()))
            if x.numel() // x.size(1) < 2:
                raise ValueError("need more than one value per channel")
            var, mean = torch.var_mean(x, dim=dims, keepdim=True, correction=0)
            y = (x - mean) * torch.rsqrt(var + eps)
            shape = (1, -1) + (1,) * (x.dim() - 2)
            if weight is not None:
                y = y * weight.view(shape)
            if bias is not None:
                y = y + bias.view(shape)
            return y
    """,
    "batch_norm: move channels last and flatten": """
        def batch_norm(x, weight=None, bias=None, eps=1e-5):
            c = x.shape[1]
            flat = x.transpose(0, 1).reshape(c, -1)                # (C, everything else)
            if flat.shape[1] == 1:
                raise ValueError(f"one value per channel: {tuple(x.shape)}")
            mean = flat.mean(dim=1, keepdim=True)
            var = flat.var(dim=1, unbiased=False, keepdim=True)
            out = (flat - mean) / (var + eps).sqrt()
            if weight is not None:
                out = out * weight[:, None]
            if bias is not None:
                out = out + bias[:, None]
            rest = (x.shape[0],) + tuple(x.shape[2:])
            return out.reshape((c,) + rest).transpose(0, 1)
    """,
    "layer_norm: var_mean over negative dims": """
        def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
            shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
            if len(shape) > x.dim() or list(x.shape[-len(shape):]) != list(shape):
                raise ValueError("normalized_shape does not match the input")
            dims = tuple(range(-len(shape), 0))
            var, mean = torch.var_mean(x, dim=dims, keepdim=True, correction=0)
            y = (x - mean) / torch.sqrt(var + eps)
            if weight is not None:
                y = y * weight
            if bias is not None:
                y = y + bias
            return y
    """,
    "layer_norm: flatten the trailing dims into one": """
        import math
        def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
            if isinstance(normalized_shape, int):
                normalized_shape = [normalized_shape]
            k = len(normalized_shape)
            if x.shape[x.dim() - k:] != torch.Size(normalized_shape) or k > x.dim():
                raise ValueError(f"bad normalized_shape {normalized_shape} for {tuple(x.shape)}")
            flat = x.reshape(-1, math.prod(normalized_shape))
            centred = flat - flat.mean(dim=1, keepdim=True)
            y = (centred / torch.sqrt((centred * centred).mean(dim=1, keepdim=True) + eps)).reshape(x.shape)
            return y * (1 if weight is None else weight) + (0 if bias is None else bias)
    """,
    "update_running_stats: unbiased by hand, m / (m - 1)": """
        def update_running_stats(running_mean, running_var, x, momentum=0.1):
            dims = [0] + list(range(2, x.dim()))
            m = x.numel() // x.shape[1]
            if m == 1:
                raise ValueError("one value per channel")
            mean = x.mean(dim=dims)
            biased = x.var(dim=dims, correction=0)
            new_mean = running_mean * (1 - momentum) + mean * momentum
            new_var = running_var * (1 - momentum) + biased * (m / (m - 1)) * momentum
            return new_mean, new_var
    """,
    "update_running_stats: torch.lerp on flattened channels": """
        def update_running_stats(running_mean, running_var, x, momentum=0.1):
            flat = x.transpose(0, 1).reshape(x.shape[1], -1)
            if flat.shape[1] < 2:
                raise ValueError("need at least two values per channel")
            var, mean = torch.var_mean(flat, dim=1)
            return torch.lerp(running_mean, mean, momentum), torch.lerp(running_var, var, momentum)
    """,
    "fold_batch_norm: deepcopy the conv and rescale": """
        import copy
        def fold_batch_norm(conv, bn):
            if conv.out_channels != bn.num_features:
                raise ValueError("channel mismatch")
            folded = copy.deepcopy(conv)
            std = (bn.running_var + bn.eps).sqrt()
            gamma = bn.weight.detach() if bn.affine else torch.ones_like(std)
            beta = bn.bias.detach() if bn.affine else torch.zeros_like(std)
            b = conv.bias.detach() if conv.bias is not None else torch.zeros_like(std)
            folded.weight = nn.Parameter(conv.weight.detach() * (gamma / std)[:, None, None, None])
            folded.bias = nn.Parameter(beta + (b - bn.running_mean) * gamma / std)
            return folded
    """,
    "fold_batch_norm: new conv from the constructor's arguments, data assignment": """
        def fold_batch_norm(conv, bn):
            if bn.num_features != conv.out_channels:
                raise ValueError(f"{bn.num_features} != {conv.out_channels}")
            new = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                            conv.padding, conv.dilation, conv.groups, True)
            inv = torch.rsqrt(bn.running_var + bn.eps)
            if bn.weight is not None:
                inv = inv * bn.weight.detach()
            shift = -bn.running_mean * inv
            if conv.bias is not None:
                shift = shift + conv.bias.detach() * inv
            if bn.bias is not None:
                shift = shift + bn.bias.detach()
            new.weight.data = conv.weight.detach().clone() * inv.reshape(-1, 1, 1, 1)
            new.bias.data = shift.clone()
            return new
    """,
}

_BN = """
def batch_norm(x, weight=None, bias=None, eps=1e-5):
    dims = [d for d in range(x.dim()) if d != 1]
    if x.numel() // x.shape[1] <= 1:
        raise ValueError("one value per channel")
    shape = [1, x.shape[1]] + [1] * (x.dim() - 2)
    mean = x.mean(dim=dims, keepdim=True)
    y = (x - mean) / DENOM
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y
"""

_LN = """
def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    CHECK
    dims = DIMS
    mean = x.mean(dim=dims, keepdim=True)
    y = (x - mean) / DENOM
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y
"""
_LN_CHECK = ("if len(ns) > x.dim() or tuple(x.shape[x.dim() - len(ns):]) != ns:\n"
             "        raise ValueError('shape')")
_LN_DIMS = "tuple(range(x.dim() - len(ns), x.dim()))"
_LN_BIASED = "torch.sqrt(x.var(dim=dims, keepdim=True, correction=0) + eps)"


def _ln(check=_LN_CHECK, dims=_LN_DIMS, denom=_LN_BIASED):
    return _LN.replace("CHECK", check).replace("DIMS", dims).replace("DENOM", denom)


_RS = """
def update_running_stats(running_mean, running_var, x, momentum=0.1):
    dims = DIMS
    CHECK
    mean, var = x.mean(dim=dims), x.var(dim=dims, correction=CORR)
    return UPDATE
"""


def _rs(dims="[d for d in range(x.dim()) if d != 1]", check="if x.numel() // x.shape[1] <= 1:\n"
        "        raise ValueError('one value')", corr="1",
        update="(1 - momentum) * running_mean + momentum * mean, "
               "(1 - momentum) * running_var + momentum * var"):
    return _RS.replace("DIMS", dims).replace("CHECK", check).replace("CORR", corr).replace("UPDATE", update)


_FOLD = """
def fold_batch_norm(conv, bn):
    CHECK
    with torch.no_grad():
        gamma = bn.weight if bn.weight is not None else torch.ones(bn.num_features)
        beta = bn.bias if bn.bias is not None else torch.zeros(bn.num_features)
        scale = SCALE
        b = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
        folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                           padding=conv.padding, dilation=conv.dilation, groups=conv.groups)
        folded.weight.copy_(conv.weight * scale.reshape(WSHAPE))
        folded.bias.copy_(BIAS)
    return folded
"""


def _fold(check="if bn.num_features != conv.out_channels:\n        raise ValueError('mismatch')",
          scale="gamma / torch.sqrt(bn.running_var + bn.eps)", wshape="-1, 1, 1, 1",
          bias="(b - bn.running_mean) * scale + beta"):
    return (_FOLD.replace("CHECK", check).replace("SCALE", scale).replace("WSHAPE", wshape)
            .replace("BIAS", bias))


WRONG = {
    # batch_norm
    "batch_norm: unbiased variance": ("batch_norm", _BN.replace(
        "DENOM", "torch.sqrt(x.var(dim=dims, keepdim=True) + eps)")),
    "batch_norm: eps outside the square root": ("batch_norm", _BN.replace(
        "DENOM", "(x.var(dim=dims, keepdim=True, correction=0).sqrt() + eps)")),
    "batch_norm: no eps at all": ("batch_norm", _BN.replace(
        "DENOM", "x.var(dim=dims, keepdim=True, correction=0).sqrt()")),
    "batch_norm: statistics over dimension 0 only": ("batch_norm", _BN.replace(
        "DENOM", "torch.sqrt(x.var(dim=0, keepdim=True, correction=0) + eps)").replace(
        "mean = x.mean(dim=dims, keepdim=True)", "mean = x.mean(dim=0, keepdim=True)")),
    "batch_norm: per sample (the LayerNorm axes)": ("batch_norm", _BN.replace(
        "DENOM", "torch.sqrt(x.var(dim=list(range(1, x.dim())), keepdim=True, correction=0) + eps)").replace(
        "mean = x.mean(dim=dims, keepdim=True)", "mean = x.mean(dim=list(range(1, x.dim())), keepdim=True)")),
    "batch_norm: no ValueError for one value per channel": ("batch_norm", _BN.replace(
        "raise ValueError(\"one value per channel\")", "pass").replace(
        "DENOM", "torch.sqrt(x.var(dim=dims, keepdim=True, correction=0) + eps)")),
    "batch_norm: ValueError only when N == 1": ("batch_norm", _BN.replace(
        "if x.numel() // x.shape[1] <= 1:", "if x.shape[0] == 1:").replace(
        "DENOM", "torch.sqrt(x.var(dim=dims, keepdim=True, correction=0) + eps)")),
    "batch_norm: calls F.batch_norm": ("batch_norm", """
        def batch_norm(x, weight=None, bias=None, eps=1e-5):
            return F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)
    """),
    # layer_norm
    "layer_norm: unbiased variance": ("layer_norm", _ln(
        denom="torch.sqrt(x.var(dim=dims, keepdim=True) + eps)")),
    "layer_norm: eps outside the square root": ("layer_norm", _ln(
        denom="(x.var(dim=dims, keepdim=True, correction=0).sqrt() + eps)")),
    "layer_norm: always over the last dimension only": ("layer_norm", _ln(dims="(-1,)")),
    "layer_norm: over everything but the batch dimension": ("layer_norm", _ln(
        dims="tuple(range(1, x.dim()))")),
    "layer_norm: no shape check": ("layer_norm", _ln(check="pass")),
    "layer_norm: checks only the size, not the trailing position": ("layer_norm", _ln(
        check="if len(ns) > x.dim():\n        raise ValueError('shape')")),
    "layer_norm: calls F.layer_norm": ("layer_norm", """
        def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
            if isinstance(normalized_shape, int):
                normalized_shape = (normalized_shape,)
            if tuple(x.shape[x.dim() - len(normalized_shape):]) != tuple(normalized_shape):
                raise ValueError("shape")
            return F.layer_norm(x, normalized_shape, weight, bias, eps)
    """),
    # update_running_stats
    "update_running_stats: biased variance": ("update_running_stats", _rs(corr="0")),
    "update_running_stats: momentum as the weight of the old value": ("update_running_stats", _rs(
        update="momentum * running_mean + (1 - momentum) * mean, "
               "momentum * running_var + (1 - momentum) * var")),
    "update_running_stats: statistics over dimension 0 only": ("update_running_stats", _rs(dims="0")),
    "update_running_stats: updates the buffers in place": ("update_running_stats", _rs(
        update="running_mean.mul_(1 - momentum).add_(momentum * mean), "
               "running_var.mul_(1 - momentum).add_(momentum * var)")),
    "update_running_stats: AssertionError instead of ValueError": ("update_running_stats", _rs(
        check="assert x.numel() // x.shape[1] > 1")),
    # fold_batch_norm
    "fold_batch_norm: eps left out": ("fold_batch_norm", _fold(scale="gamma / torch.sqrt(bn.running_var)")),
    "fold_batch_norm: running_mean left out": ("fold_batch_norm", _fold(bias="b * scale + beta")),
    "fold_batch_norm: conv bias not scaled": ("fold_batch_norm", _fold(
        bias="b - bn.running_mean * scale + beta")),
    "fold_batch_norm: standard deviation multiplied instead of divided": ("fold_batch_norm", _fold(
        scale="gamma * torch.sqrt(bn.running_var + bn.eps)")),
    "fold_batch_norm: default geometry": ("fold_batch_norm", _fold().replace(
        ", stride=conv.stride,\n                           padding=conv.padding, "
        "dilation=conv.dilation, groups=conv.groups", "")),
    "fold_batch_norm: modifies conv in place and returns it": ("fold_batch_norm", """
        def fold_batch_norm(conv, bn):
            if bn.num_features != conv.out_channels:
                raise ValueError("mismatch")
            with torch.no_grad():
                gamma = bn.weight if bn.weight is not None else torch.ones(bn.num_features)
                beta = bn.bias if bn.bias is not None else torch.zeros(bn.num_features)
                scale = gamma / torch.sqrt(bn.running_var + bn.eps)
                b = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
                conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
                conv.bias = nn.Parameter((b - bn.running_mean) * scale + beta)
            return conv
    """),
    "fold_batch_norm: no ValueError for a channel mismatch": ("fold_batch_norm", _fold(check="pass")),
}

WRONG_FAILS = {
    'batch_norm: unbiased variance':
        {'n10_bn_2d', 'n10_bn_eps', 'n10_bn_errors', 'n10_bn_nd'},
    'batch_norm: eps outside the square root':
        {'n10_bn_2d', 'n10_bn_eps', 'n10_bn_errors'},
    'batch_norm: no eps at all':
        {'n10_bn_2d', 'n10_bn_eps', 'n10_bn_errors'},
    'batch_norm: statistics over dimension 0 only':
        {'n10_bn_eps', 'n10_bn_errors', 'n10_bn_nd'},
    'batch_norm: per sample (the LayerNorm axes)':
        {'n10_bn_2d', 'n10_bn_eps', 'n10_bn_errors', 'n10_bn_nd'},
    'batch_norm: no ValueError for one value per channel':
        {'n10_bn_errors'},
    'batch_norm: ValueError only when N == 1':
        {'n10_bn_errors', 'n10_bn_nd'},
    'batch_norm: calls F.batch_norm':
        {'n10_bn_errors'},
    'layer_norm: unbiased variance':
        {'n10_ln_errors', 'n10_ln_last', 'n10_ln_trailing'},
    'layer_norm: eps outside the square root':
        {'n10_ln_last', 'n10_ln_trailing'},
    'layer_norm: always over the last dimension only':
        {'n10_ln_errors', 'n10_ln_trailing'},
    'layer_norm: over everything but the batch dimension':
        {'n10_ln_last', 'n10_ln_trailing'},
    'layer_norm: no shape check':
        {'n10_ln_errors'},
    'layer_norm: checks only the size, not the trailing position':
        {'n10_ln_errors'},
    'layer_norm: calls F.layer_norm':
        {'n10_ln_errors'},
    'update_running_stats: biased variance':
        {'n10_rs_2d', 'n10_rs_4d'},
    'update_running_stats: momentum as the weight of the old value':
        {'n10_rs_2d', 'n10_rs_4d'},
    'update_running_stats: statistics over dimension 0 only':
        {'n10_rs_4d', 'n10_rs_inputs'},
    'update_running_stats: updates the buffers in place':
        {'n10_rs_inputs'},
    'update_running_stats: AssertionError instead of ValueError':
        {'n10_rs_inputs'},
    'fold_batch_norm: eps left out':
        {'n10_fold_basic', 'n10_fold_geometry'},
    'fold_batch_norm: running_mean left out':
        {'n10_fold_basic', 'n10_fold_geometry'},
    'fold_batch_norm: conv bias not scaled':
        {'n10_fold_basic', 'n10_fold_geometry'},
    'fold_batch_norm: standard deviation multiplied instead of divided':
        {'n10_fold_basic', 'n10_fold_geometry'},
    'fold_batch_norm: default geometry':
        {'n10_fold_basic', 'n10_fold_geometry'},
    'fold_batch_norm: modifies conv in place and returns it':
        {'n10_fold_basic', 'n10_fold_geometry', 'n10_fold_inputs'},
    'fold_batch_norm: no ValueError for a channel mismatch':
        {'n10_fold_inputs'},
}
