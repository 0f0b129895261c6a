"""The exercises of 11_cnn_transfer, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

import textwrap

ASSIGNMENT = "11_cnn_transfer"
FLAT = {"f11_flat_basic", "f11_flat_settings", "f11_flat_errors", "f11_flat_no_forward"}
SHAPES = {"f11_shapes_basic", "f11_shapes_modes", "f11_shapes_repeat"}
FREEZE = {"f11_freeze_count", "f11_freeze_flags", "f11_freeze_errors"}
HEAD = {"f11_head_basic", "f11_head_nested", "f11_head_errors"}
DESIGN = {"f11_design_shape", "f11_design_rules", "f11_design_learns"}
EXERCISES = {"flattened_size": FLAT, "feature_map_shapes": SHAPES, "freeze_all_but": FREEZE,
             "replace_head": HEAD, "my_digits_cnn": DESIGN}

# -- flattened_size: one body with places for the usual mistakes --------------------------
_FLAT = '''
import math

def _two(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)

def flattened_size(layers, input_shape):
    c, h, w = input_shape
    size = [h, w]
    for layer in layers:
        if isinstance(layer, nn.Conv2d):
            if {conv_check}:
                raise ValueError("channels")
            k, s, d = _two(layer.kernel_size), _two(layer.stride), _two(layer.dilation)
            if layer.padding == "same":
                p = None
            else:
                p = (0, 0) if layer.padding == "valid" else _two(layer.padding)
            if p is not None:
                size = [{conv_size} for n, k_, s_, p_, d_ in zip(size, k, s, p, d)]
            c = layer.out_channels
        elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
            k, s, p = _two(layer.kernel_size), _two(layer.stride or layer.kernel_size), _two(layer.padding)
            d = _two(getattr(layer, "dilation", 1))
            if {pad_check}:
                raise ValueError("padding")
            new = []
            for n, k_, s_, p_, d_ in zip(size, k, s, p, d):
                room = n + 2 * p_ - d_ * (k_ - 1) - 1
                if layer.ceil_mode:
                    out = math.ceil(room / s_) + 1
                    if {drop_rule}:
                        out -= 1
                else:
                    out = room // s_ + 1
                new.append(out)
            size = new
        elif isinstance(layer, nn.BatchNorm2d):
            if {bn_check}:
                raise ValueError("num_features")
        if min(size) < 1:
            raise ValueError("size below 1")
    return c * size[0] * size[1]
'''
_FLAT_RIGHT = dict(conv_check="layer.in_channels != c",
                   conv_size="(n + 2 * p_ - d_ * (k_ - 1) - 1) // s_ + 1",
                   pad_check="any(p_ > k_ // 2 for p_, k_ in zip(p, k))",
                   drop_rule="(out - 1) * s_ >= n + p_",
                   bn_check="layer.num_features != c")


def flat_variant(**changes) -> str:
    return _FLAT.format(**{**_FLAT_RIGHT, **changes})


_SHAPES = '''
def feature_map_shapes(model, input_shape):
    names = {{}}
    for name, module in model.named_modules():
        names.setdefault(module, name)
    leaves = [m for m in names if {leaf_test}]
    flags = [(m, m.training) for m in model.modules()]
    shapes, handles = [], []
    try:
        for leaf in leaves:
            handles.append(leaf.register_forward_hook(
                lambda module, args, output: shapes.append((names[module], {shape}))))
        {mode}
        with torch.no_grad():
            model(torch.zeros(1, *input_shape))
    finally:
        {cleanup}
    return shapes
'''
_SHAPES_RIGHT = dict(leaf_test="len(list(m.children())) == 0", shape="tuple(output.shape)",
                     mode="model.eval()",
                     cleanup=("[h.remove() for h in handles]\n"
                              "        [setattr(m, 'training', f) for m, f in flags]"))


def shapes_variant(**changes) -> str:
    return _SHAPES.format(**{**_SHAPES_RIGHT, **changes})


CORRECT = {
    "flattened_size: the sizes one layer at a time, math.floor and math.ceil": flat_variant(
        conv_size="math.floor((n + 2 * p_ - d_ * (k_ - 1) - 1) / s_) + 1"),
    "flattened_size: a shape tuple rebuilt per layer, ceil by negated floor division": """
        def flattened_size(layers, input_shape):
            def out_len(n, k, s, p, d, ceil):
                span = n + 2 * p - d * (k - 1) - 1
                steps = -(-span // s) if ceil else span // s
                if ceil and steps * s >= n + p:
                    steps -= 1
                if steps + 1 < 1:
                    raise ValueError(f"window larger than input {n}")
                return steps + 1

            def as_pair(v):
                return (v, v) if isinstance(v, int) else tuple(v)

            shape = tuple(input_shape)
            for layer in layers:
                c, h, w = shape
                if isinstance(layer, nn.Conv2d):
                    if c != layer.in_channels:
                        raise ValueError(f"{c} channels into {layer}")
                    if layer.padding == "same":
                        shape = (layer.out_channels, h, w)
                    else:
                        pad = (0, 0) if layer.padding == "valid" else as_pair(layer.padding)
                        dims = [out_len(n, k, s, p, d, False) for n, k, s, p, d in zip(
                            (h, w), as_pair(layer.kernel_size), as_pair(layer.stride), pad,
                            as_pair(layer.dilation))]
                        if min(dims) < 1:
                            raise ValueError("size below 1")
                        shape = (layer.out_channels, *dims)
                elif isinstance(layer, (nn.MaxPool2d, nn.AvgPool2d)):
                    ks = as_pair(layer.kernel_size)
                    st = as_pair(layer.stride if layer.stride is not None else layer.kernel_size)
                    pd = as_pair(layer.padding)
                    dl = as_pair(layer.dilation) if isinstance(layer, nn.MaxPool2d) else (1, 1)
                    if pd[0] * 2 > ks[0] or pd[1] * 2 > ks[1]:
                        raise ValueError("pooling padding more than half the kernel")
                    shape = (c, *[out_len(n, k, s, p, d, layer.ceil_mode)
                                   for n, k, s, p, d in zip((h, w), ks, st, pd, dl)])
                elif isinstance(layer, nn.BatchNorm2d) and layer.num_features != c:
                    raise ValueError("BatchNorm2d channels")
            return shape[0] * shape[1] * shape[2]
    """,
    "feature_map_shapes: hooks on every module, leaves chosen in the hook": """
        def feature_map_shapes(model, input_shape):
            found = []
            named = list(model.named_modules())
            first_name = {}
            for name, module in named:
                first_name.setdefault(id(module), name)
            flags = {id(m): (m, m.training) for _, m in named}
            hooks = []
            try:
                for _, module in named:
                    if id(module) in {id(m) for m in [module]} and not any(True for _ in module.children()):
                        if all(h[0] is not module for h in hooks):
                            hooks.append((module, module.register_forward_hook(
                                lambda mod, inp, out: found.append(
                                    (first_name[id(mod)], tuple(int(n) for n in out.shape))))))
                model.train(False)
                with torch.inference_mode():
                    model(torch.zeros((1,) + tuple(input_shape)))
            finally:
                for _, handle in hooks:
                    handle.remove()
                for module, flag in flags.values():
                    module.training = flag
            return found
    """,
    "feature_map_shapes: a global forward hook": """
        def feature_map_shapes(model, input_shape):
            names = {}
            for name, module in model.named_modules():
                names.setdefault(module, name)
            shapes = []

            def hook(module, args, output):
                if module in names and not list(module.children()):
                    shapes.append((names[module], tuple(output.shape)))

            training = {module: module.training for module in names}
            handle = torch.nn.modules.module.register_module_forward_hook(hook)
            try:
                model.eval()
                with torch.no_grad():
                    model(torch.zeros(1, *input_shape))
            finally:
                handle.remove()
                for module, flag in training.items():
                    module.train(flag) if not list(module.children()) else setattr(module, "training", flag)
            return shapes
    """,
    "freeze_all_but: ids of the trainable parameters": """
        def freeze_all_but(model, trainable):
            modules = dict(model.named_modules())
            keep = set()
            for name in trainable:
                if name not in modules:
                    raise ValueError(f"no submodule {name}")
                keep |= {id(p) for p in modules[name].parameters()}
            total = 0
            for p in model.parameters():
                p.requires_grad = id(p) in keep
                total += p.numel() if p.requires_grad else 0
            return total
    """,
    "freeze_all_but: get_submodule and AttributeError": """
        def freeze_all_but(model, trainable):
            chosen = []
            for name in trainable:
                try:
                    sub = model.get_submodule(name)
                except AttributeError as error:
                    raise ValueError(str(error)) from None
                chosen.append(sub)
            model.requires_grad_(False)
            for sub in chosen:
                sub.requires_grad_(True)
            return sum(p.numel() for p in model.parameters() if p.requires_grad)
    """,
    "replace_head: walk the dotted path by hand": """
        def replace_head(model, name, num_classes):
            parent, parts = model, name.split(".")
            for part in parts[:-1]:
                children = dict(parent.named_children())
                if part not in children:
                    raise ValueError(f"no submodule {name}")
                parent = children[part]
            old = dict(parent.named_children()).get(parts[-1])
            if not name or type(old) is not nn.Linear and not isinstance(old, nn.Linear):
                raise ValueError(f"{name} is not a Linear")
            parent.add_module(parts[-1], nn.Linear(old.in_features, num_classes, bias=old.bias is not None))
            return model
    """,
    "replace_head: named_modules and rpartition, checked with get_submodule": """
        def replace_head(model, name, num_classes):
            try:
                old = model.get_submodule(name)
            except AttributeError:
                raise ValueError(f"{name!r} not found") from None
            if not name or not isinstance(old, nn.Linear):
                raise ValueError(f"{name!r} is {type(old).__name__}, not Linear")
            head, _, last = name.rpartition(".")
            new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
            model.get_submodule(head)._modules[last] = new
            return model
    """,
    "my_digits_cnn: strided convolutions instead of pooling": """
        def my_digits_cnn():
            return nn.Sequential(nn.Conv2d(1, 8, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Conv2d(8, 8, 3, stride=2, padding=1), nn.ReLU(),
                                 nn.Flatten(), nn.Linear(8 * 2 * 2, 10))
    """,
    "my_digits_cnn: one convolution, one pooling, a small Linear": """
        def my_digits_cnn():
            return nn.Sequential(nn.Conv2d(1, 10, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                 nn.Linear(90, 10))
    """,
}

WRONG = {
    "flattened_size: ignores the channel check": ("flattened_size", flat_variant(conv_check="False")),
    "flattened_size: forgets dilation": ("flattened_size", flat_variant(
        conv_size="(n + 2 * p_ - (k_ - 1) - 1) // s_ + 1")),
    "flattened_size: ceil without the drop rule": ("flattened_size", flat_variant(drop_rule="False")),
    "flattened_size: no pooling padding check": ("flattened_size", flat_variant(pad_check="False")),
    "flattened_size: ignores BatchNorm2d": ("flattened_size", flat_variant(bn_check="False")),
    "flattened_size: runs the layers on a zero tensor": ("flattened_size", """
        def flattened_size(layers, input_shape):
            try:
                with torch.no_grad():
                    out = nn.Sequential(*layers).eval()(torch.zeros(1, *input_shape))
            except RuntimeError as error:
                raise ValueError(str(error)) from None
            return out[0].numel()
    """),
    "feature_map_shapes: containers too": ("feature_map_shapes", shapes_variant(leaf_test="True")),
    "feature_map_shapes: no batch dimension": ("feature_map_shapes", shapes_variant(
        shape="tuple(output.shape[1:])")),
    "feature_map_shapes: runs in training mode": ("feature_map_shapes", shapes_variant(mode="pass")),
    "feature_map_shapes: leaves the model in eval mode": ("feature_map_shapes", shapes_variant(
        cleanup="[h.remove() for h in handles]")),
    "feature_map_shapes: leaves the hooks": ("feature_map_shapes", shapes_variant(
        cleanup="[setattr(m, 'training', f) for m, f in flags]")),
    "feature_map_shapes: order of named_modules, each leaf once": ("feature_map_shapes", """
        def feature_map_shapes(model, input_shape):
            outputs = {}
            names = {}
            for name, module in model.named_modules():
                names.setdefault(module, name)
            flags = [(m, m.training) for m in model.modules()]
            handles = [m.register_forward_hook(lambda mod, a, out: outputs.__setitem__(mod, tuple(out.shape)))
                       for m in names if not list(m.children())]
            try:
                model.eval()
                with torch.no_grad():
                    model(torch.zeros(1, *input_shape))
            finally:
                for h in handles:
                    h.remove()
                for m, f in flags:
                    m.training = f
            return [(names[m], shape) for m, shape in outputs.items()] if len(names) > 1 else list(
                (names[m], s) for m, s in outputs.items())
    """),
    "freeze_all_but: counts parameter tensors, not elements": ("freeze_all_but", """
        def freeze_all_but(model, trainable):
            modules = dict(model.named_modules())
            if any(name not in modules for name in trainable):
                raise ValueError("unknown submodule")
            model.requires_grad_(False)
            for name in trainable:
                modules[name].requires_grad_(True)
            return sum(1 for p in model.parameters() if p.requires_grad)
    """),
    "freeze_all_but: matches parameter names by prefix": ("freeze_all_but", """
        def freeze_all_but(model, trainable):
            modules = dict(model.named_modules())
            if any(name not in modules for name in trainable):
                raise ValueError("unknown submodule")
            total = 0
            for pname, p in model.named_parameters():
                p.requires_grad = any(pname.startswith(name) for name in trainable)
                total += p.numel() if p.requires_grad else 0
            return total
    """),
    "freeze_all_but: only freezes, never unfreezes": ("freeze_all_but", """
        def freeze_all_but(model, trainable):
            modules = dict(model.named_modules())
            if any(name not in modules for name in trainable):
                raise ValueError("unknown submodule")
            keep = {id(p) for name in trainable for p in modules[name].parameters()}
            for p in model.parameters():
                if id(p) not in keep:
                    p.requires_grad = False
            return sum(p.numel() for p in model.parameters() if p.requires_grad)
    """),
    "freeze_all_but: counts per named submodule (overlaps twice)": ("freeze_all_but", """
        def freeze_all_but(model, trainable):
            modules = dict(model.named_modules())
            if any(name not in modules for name in trainable):
                raise ValueError("unknown submodule")
            model.requires_grad_(False)
            for name in trainable:
                modules[name].requires_grad_(True)
            return sum(p.numel() for name in trainable for p in modules[name].parameters())
    """),
    "freeze_all_but: no ValueError": ("freeze_all_but", """
        def freeze_all_but(model, trainable):
            modules = dict(model.named_modules())
            model.requires_grad_(False)
            for name in trainable:
                if name in modules:
                    modules[name].requires_grad_(True)
            return sum(p.numel() for p in model.parameters() if p.requires_grad)
    """),
    "replace_head: always with a bias": ("replace_head", """
        def replace_head(model, name, num_classes):
            old = dict(model.named_modules()).get(name) if name else None
            if not isinstance(old, nn.Linear):
                raise ValueError("not a Linear")
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child, nn.Linear(old.in_features, num_classes))
            return model
    """),
    "replace_head: setattr on the model with the dotted name": ("replace_head", """
        def replace_head(model, name, num_classes):
            old = dict(model.named_modules()).get(name) if name else None
            if not isinstance(old, nn.Linear):
                raise ValueError("not a Linear")
            setattr(model, name, nn.Linear(old.in_features, num_classes, bias=old.bias is not None))
            return model
    """),
    "replace_head: returns nothing": ("replace_head", """
        def replace_head(model, name, num_classes):
            old = dict(model.named_modules()).get(name) if name else None
            if not isinstance(old, nn.Linear):
                raise ValueError("not a Linear")
            parent, _, child = name.rpartition(".")
            setattr(model.get_submodule(parent), child,
                    nn.Linear(old.in_features, num_classes, bias=old.bias is not None))
    """),
    "replace_head: any module is replaced": ("replace_head", """
        def replace_head(model, name, num_classes):
            modules = dict(model.named_modules())
            if name not in modules or not name:
                raise ValueError("no such submodule")
            old = modules[name]
            parent, _, child = name.rpartition(".")
            features = old.in_features if isinstance(old, nn.Linear) else 64
            setattr(model.get_submodule(parent), child, nn.Linear(features, num_classes,
                                                                 bias=getattr(old, "bias", 0) is not None))
            return model
    """),
    "my_digits_cnn: no Flatten": ("my_digits_cnn", """
        def my_digits_cnn():
            return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Linear(4, 10))
    """),
    "my_digits_cnn: no pooling, too many parameters": ("my_digits_cnn", """
        def my_digits_cnn():
            return nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(1024, 10))
    """),
    "my_digits_cnn: the course CNN itself, more than 1,500 parameters": ("my_digits_cnn", """
        def my_digits_cnn():
            return digits_cnn()
    """),
    "my_digits_cnn: layers kept in a Python list, so never registered": ("my_digits_cnn", """
        class _Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.layers = [nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d(2),
                               nn.Flatten(), nn.Linear(32, 10)]

            def forward(self, x):
                for layer in self.layers:
                    x = layer(x)
                return x

        def my_digits_cnn():
            return _Net()
    """),
    "my_digits_cnn: an MLP without convolution": ("my_digits_cnn", """
        def my_digits_cnn():
            return nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))
    """),
}

WRONG_FAILS = {
    "flattened_size: ignores the channel check": {"f11_flat_errors"},
    "flattened_size: forgets dilation": {"f11_flat_settings"},
    "flattened_size: ceil without the drop rule": {"f11_flat_settings"},
    "flattened_size: no pooling padding check": {"f11_flat_errors"},
    "flattened_size: ignores BatchNorm2d": {"f11_flat_errors"},
    "flattened_size: runs the layers on a zero tensor": {"f11_flat_no_forward"},
    "feature_map_shapes: containers too": SHAPES,
    "feature_map_shapes: no batch dimension": SHAPES,
    "feature_map_shapes: runs in training mode": {"f11_shapes_modes"},
    "feature_map_shapes: leaves the model in eval mode": {"f11_shapes_modes"},
    "feature_map_shapes: leaves the hooks": {"f11_shapes_modes"},
    "feature_map_shapes: order of named_modules, each leaf once": {"f11_shapes_repeat"},
    "freeze_all_but: counts parameter tensors, not elements": {"f11_freeze_count", "f11_freeze_flags"},
    "freeze_all_but: matches parameter names by prefix": {"f11_freeze_flags"},
    "freeze_all_but: only freezes, never unfreezes": {"f11_freeze_count", "f11_freeze_flags"},
    "freeze_all_but: counts per named submodule (overlaps twice)": {"f11_freeze_flags"},
    "freeze_all_but: no ValueError": {"f11_freeze_errors"},
    "replace_head: always with a bias": {"f11_head_nested"},
    "replace_head: setattr on the model with the dotted name": {"f11_head_nested"},
    "replace_head: returns nothing": {"f11_head_basic"},
    "replace_head: any module is replaced": {"f11_head_errors"},
    "my_digits_cnn: no Flatten": {"f11_design_shape", "f11_design_learns"},
    "my_digits_cnn: no pooling, too many parameters": {"f11_design_rules"},
    "my_digits_cnn: the course CNN itself, more than 1,500 parameters": {"f11_design_rules"},
    "my_digits_cnn: layers kept in a Python list, so never registered": {"f11_design_rules",
                                                                         "f11_design_learns"},
    "my_digits_cnn: an MLP without convolution": {"f11_design_rules"},
}

_ = textwrap
