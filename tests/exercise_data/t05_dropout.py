"""The exercises of 05_dropout, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

import textwrap

ASSIGNMENT = "05_dropout"
DROPOUT = {"d05_dropout_values", "d05_dropout_statistics", "d05_dropout_edges",
           "d05_dropout_no_builtin"}
MODULE = {"d05_module_basics", "d05_module_train", "d05_module_eval"}
PLACE = {"d05_place_eval", "d05_place_train", "d05_place_rate"}
EXERCISES = {"dropout": DROPOUT, "MyDropout": MODULE, "add_dropout": PLACE}
# The reference MyDropout calls dropout; a broken dropout may also fail the module's eval cell
# (d05_module_train swaps in a correct dropout while it runs, so it never does).
MAY_ALSO_FAIL = {"dropout": {"d05_module_eval"}}


STUBS = {
    "dropout": """
        def dropout(x, p=0.5, training=True, generator=None):
            raise NotImplementedError()
    """,
    # What the release holds: each method's solution replaced by a raise.
    "MyDropout": """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                raise NotImplementedError()

            def forward(self, x):
                raise NotImplementedError()
    """,
}


CORRECT = {
    "bernoulli mask": """
        def dropout(x, p=0.5, training=True, generator=None):
            if p < 0 or p > 1:
                raise ValueError("p must lie in [0, 1]")
            if not training:
                return x
            if p == 1:
                return torch.zeros_like(x)
            mask = torch.bernoulli(torch.full_like(x, 1 - p), generator=generator)
            return x * mask / (1 - p)
    """,
    "torch.where with rand_like and a copy in eval mode": """
        def dropout(x, p=0.5, training=True, generator=None):
            if not (0 <= p <= 1):
                raise ValueError(f"bad p {p}")
            if not training:
                return x.clone()
            scale = 0.0 if p == 1 else 1.0 / (1.0 - p)
            keep = torch.rand_like(x, generator=generator) < 1 - p
            return torch.where(keep, x * scale, torch.zeros_like(x))
    """,
    "uniform_ on an empty tensor, scale as a tensor": """
        def dropout(x, p=0.5, training=True, generator=None):
            if not 0.0 <= p <= 1.0:
                raise ValueError("dropout probability has to be between 0 and 1")
            if training and p > 0:
                u = torch.empty(x.shape, dtype=torch.float64).uniform_(0, 1, generator=generator)
                keep = (u > p).to(x.dtype)
                return x * keep * (1.0 / (1.0 - p) if p < 1 else 0.0)
            return x
    """,
    "bernoulli_ in place on a new mask tensor": """
        def dropout(x, p=0.5, training=True, generator=None):
            if p < 0.0 or p > 1.0:
                raise ValueError("p")
            if not training or p == 0.0:
                return x
            mask = x.new_empty(x.shape).bernoulli_(1.0 - p, generator=generator)
            if p == 1.0:
                return x * mask
            mask.div_(1.0 - p)
            return x * mask
    """,
    "module with F.dropout and training=self.training": """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if p < 0 or p > 1:
                    raise ValueError("p out of range")
                self.p = p

            def forward(self, x):
                return F.dropout(x, self.p, training=self.training)
    """,
    "add_dropout: before every Linear but the first": """
        def add_dropout(model, p):
            layers, seen_linear = [], False
            for module in model:
                if isinstance(module, nn.Linear):
                    if seen_linear:
                        layers.append(nn.Dropout(p))
                    seen_linear = True
                layers.append(module)
            return nn.Sequential(*layers)
    """,
    "add_dropout: deep copy, then insert from the back": """
        import copy
        def add_dropout(model, p):
            new = copy.deepcopy(model)
            linears = [i for i, m in enumerate(new) if isinstance(m, nn.Linear)]
            for i in reversed(linears[1:]):
                new.insert(i, nn.Dropout(p))
            return new
    """,
    "add_dropout: pairs of neighbours, with MyDropout": """
        def add_dropout(model, p):
            modules = list(model)
            layers = [modules[0]]
            for before, after in zip(modules, modules[1:]):
                if isinstance(after, nn.Linear) and not isinstance(before, nn.Linear):
                    layers.append(MyDropout(p))
                layers.append(after)
            return nn.Sequential(*layers)
    """,
    "add_dropout: named modules in an OrderedDict": """
        from collections import OrderedDict
        def add_dropout(model, p):
            named = list(model.named_children())
            is_linear = [isinstance(m, nn.Linear) for _, m in named]
            out = OrderedDict()
            for i, (name, module) in enumerate(named):
                out[name] = module
                if not is_linear[i] and any(is_linear[i + 1:]):
                    out[f"dropout{name}"] = nn.Dropout(p=p)
            return nn.Sequential(out)
    """,
    "module that branches on self.training": """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p out of range")
                self.p = p

            def forward(self, x):
                if self.training:
                    return dropout(x, self.p)
                return x

            def extra_repr(self):
                return f"p={self.p}"
    """,
}


def _dropout(body: str, check: str = "if not 0 <= p <= 1:\n        raise ValueError('p')") -> str:
    """A dropout function with the usual argument check and the given body."""
    return ("def dropout(x, p=0.5, training=True, generator=None):\n    " + check + "\n    "
            + textwrap.dedent(body).strip().replace("\n", "\n    ") + "\n")


WRONG = {
    # dropout
    "no scaling": ("dropout", _dropout("""
        if not training:
            return x
        return x * (torch.rand(x.shape, generator=generator) >= p)
    """)),
    "scales by (1 - p) instead of 1 / (1 - p)": ("dropout", _dropout("""
        if not training:
            return x
        return x * (torch.rand(x.shape, generator=generator) >= p) * (1 - p)
    """)),
    "p used as the keep probability, scaled by 1 / p": ("dropout", _dropout("""
        if not training or p == 1:
            return x
        if p == 0:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) < p) / p
    """)),
    "p used as the keep probability, scaled by 1 / (1 - p)": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) < p) / (1 - p)
    """)),
    "drops in eval mode too": ("dropout", _dropout("""
        if p == 1:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """)),
    "original dropout: unscaled in training, times (1 - p) in eval": ("dropout", _dropout("""
        if not training:
            return x * (1 - p)
        return x * (torch.rand(x.shape, generator=generator) >= p)
    """)),
    "scales in eval mode as well": ("dropout", _dropout("""
        if p == 1:
            return x * 0
        if not training:
            return x / (1 - p)
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """)),
    "NaN at p = 1 (tensor division by zero)": ("dropout", _dropout("""
        if not training:
            return x
        keep = (torch.rand(x.shape, generator=generator) >= p).to(x.dtype)
        return x * keep / torch.tensor(1.0 - p, dtype=x.dtype)
    """)),
    "ZeroDivisionError at p = 1 (Python division)": ("dropout", _dropout("""
        if not training:
            return x
        scale = 1 / (1 - p)
        return x * (torch.rand(x.shape, generator=generator) >= p) * scale
    """)),
    "modifies x in place with mul_": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        return x.mul_(torch.rand(x.shape, generator=generator) >= p).div_(1 - p)
    """)),
    "modifies x in place by masked assignment": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        drop = torch.rand(x.shape, generator=generator) < p
        x[drop] = 0
        return x * (0.0 if p == 1 else 1 / (1 - p))
    """)),
    "fixed mask: seeds its own generator with a constant": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        g = torch.Generator().manual_seed(0)
        return x * (torch.rand(x.shape, generator=g) >= p) / (1 - p)
    """)),
    "fixed mask without a generator: torch.manual_seed inside": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        if generator is None:
            torch.manual_seed(0)
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """)),
    "re-seeds the generator it is given": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        if generator is not None:
            generator.manual_seed(1234)
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """)),
    "ignores the generator": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        return x * (torch.rand(x.shape) >= p) / (1 - p)
    """)),
    "drops exactly round(p * n) elements (permutation)": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        n = x.numel()
        order = torch.randperm(n, generator=generator)
        keep = torch.ones(n, dtype=torch.bool)
        keep[order[:round(p * n)]] = False
        return x * keep.view(x.shape) / (1 - p)
    """)),
    "drops whole rows (one draw per first-axis index)": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        shape = (x.shape[0],) + (1,) * (x.dim() - 1) if x.dim() > 1 else x.shape
        return x * (torch.rand(shape, generator=generator) >= p) / (1 - p)
    """)),
    "one draw for the whole tensor": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        if torch.rand((), generator=generator) < p:
            return x * 0
        return x / (1 - p)
    """)),
    "rescales by the observed share kept, not 1 / (1 - p)": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        keep = torch.rand(x.shape, generator=generator) >= p
        return x * keep * (x.numel() / keep.sum().clamp(min=1))
    """)),
    "returns the scaled mask, forgets x": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        return (torch.rand(x.shape, generator=generator) >= p).to(x.dtype) / (1 - p)
    """)),
    "cuts the gradient with detach": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x.detach() * 0
        return x.detach() * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """)),
    "returns a float32 mask product for float64 input": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        keep = (torch.rand(x.shape, generator=generator) >= p).float()
        return (x * keep / (1 - p)).float()
    """)),
    "no ValueError": ("dropout", _dropout("""
        if not training or p <= 0:
            return x
        if p >= 1:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """, check="pass")),
    "ValueError only for p > 1": ("dropout", _dropout("""
        if not training or p <= 0:
            return x
        if p == 1:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """, check="if p > 1:\n        raise ValueError('p')")),
    "rejects p = 1 (checks [0, 1))": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """, check="if not 0 <= p < 1:\n        raise ValueError('p')")),
    "AssertionError instead of ValueError": ("dropout", _dropout("""
        if not training or p == 0:
            return x
        if p == 1:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """, check="assert 0 <= p <= 1")),
    "checks p only in training mode": ("dropout", _dropout("""
        if not training:
            return x
        if not 0 <= p <= 1:
            raise ValueError('p')
        if p == 0:
            return x
        if p == 1:
            return x * 0
        return x * (torch.rand(x.shape, generator=generator) >= p) / (1 - p)
    """, check="pass")),
    "calls F.dropout (and so ignores the generator)": ("dropout", _dropout("""
        return F.dropout(x, p, training=training)
    """)),
    "F.dropout under a seed taken from the generator": ("dropout", _dropout("""
        if generator is not None:
            torch.manual_seed(int(torch.randint(0, 2**31, (), generator=generator)))
        return F.dropout(x, p, training=training)
    """)),
    # MyDropout
    "module calls F.dropout without training=": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = p

            def forward(self, x):
                return F.dropout(x, self.p)
    """),
    "module calls dropout without training=": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = p

            def forward(self, x):
                return dropout(x, self.p)
    """),
    "module copies self.training once in __init__": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = p
                self.active = self.training

            def forward(self, x):
                return dropout(x, self.p, training=self.active)
    """),
    "module stores p as an nn.Parameter": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = nn.Parameter(torch.tensor(float(p)))

            def forward(self, x):
                return dropout(x, float(self.p.detach()), training=self.training)
    """),
    "module stores p as a buffer": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.register_buffer("rate", torch.tensor(float(p)))
                self.p = p

            def forward(self, x):
                return dropout(x, float(self.rate), training=self.training)
    """),
    "module stores the keep probability as p": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = 1 - p

            def forward(self, x):
                return dropout(x, 1 - self.p, training=self.training)
    """),
    "module does not check p": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                self.p = p

            def forward(self, x):
                return dropout(x, min(max(self.p, 0), 1), training=self.training)
    """),
    "module uses a fixed rate of 0.5": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = p

            def forward(self, x):
                return dropout(x, 0.5, training=self.training)
    """),
    "module drops nothing in training mode": ("MyDropout", """
        class MyDropout(nn.Module):
            def __init__(self, p=0.5):
                super().__init__()
                if not 0 <= p <= 1:
                    raise ValueError("p")
                self.p = p

            def forward(self, x):
                return x
    """),
}



def _placer(body: str) -> str:
    """An add_dropout function with the given body."""
    return "def add_dropout(model, p):\n    " + textwrap.dedent(body).strip().replace("\n", "\n    ") + "\n"


WRONG.update({
    "add_dropout: after every activation, also one on the output": ("add_dropout", _placer("""
        layers = []
        for module in model:
            layers.append(module)
            if not isinstance(module, nn.Linear):
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: after every Linear, the last one too": ("add_dropout", _placer("""
        layers = []
        for module in model:
            layers.append(module)
            if isinstance(module, nn.Linear):
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: between each hidden Linear and its activation": ("add_dropout", _placer("""
        modules = list(model)
        last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
        layers = []
        for i, module in enumerate(modules):
            layers.append(module)
            if isinstance(module, nn.Linear) and i < last:
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: on the input as well": ("add_dropout", _placer("""
        layers = [nn.Dropout(p)]
        for i, module in enumerate(model):
            if isinstance(module, nn.Linear) and i > 0:
                layers.append(nn.Dropout(p))
            layers.append(module)
        return nn.Sequential(*layers)
    """)),
    "add_dropout: on the input only": ("add_dropout", _placer("""
        return nn.Sequential(nn.Dropout(p), *model)
    """)),
    "add_dropout: one dropout, before the last Linear only": ("add_dropout", _placer("""
        modules = list(model)
        last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
        if last == 0:
            return nn.Sequential(*modules)
        return nn.Sequential(*modules[:last], nn.Dropout(p), *modules[last:])
    """)),
    "add_dropout: fixed rate 0.5": ("add_dropout", _placer("""
        layers, seen = [], False
        for module in model:
            if isinstance(module, nn.Linear):
                if seen:
                    layers.append(nn.Dropout(0.5))
                seen = True
            layers.append(module)
        return nn.Sequential(*layers)
    """)),
    "add_dropout: p used as the keep probability": ("add_dropout", _placer("""
        layers, seen = [], False
        for module in model:
            if isinstance(module, nn.Linear):
                if seen:
                    layers.append(nn.Dropout(1 - p))
                seen = True
            layers.append(module)
        return nn.Sequential(*layers)
    """)),
    "add_dropout: only after nn.ReLU": ("add_dropout", _placer("""
        layers = []
        for module in model:
            layers.append(module)
            if isinstance(module, nn.ReLU):
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: inserts into model itself": ("add_dropout", _placer("""
        linears = [i for i, m in enumerate(model) if isinstance(m, nn.Linear)]
        for i in reversed(linears[1:]):
            model.insert(i, nn.Dropout(p))
        return model
    """)),
    "add_dropout: a module that calls F.dropout without training=": ("add_dropout", """
        class _Drop(nn.Module):
            def __init__(self, p):
                super().__init__()
                self.p = p

            def forward(self, x):
                return F.dropout(x, self.p)

        def add_dropout(model, p):
            layers, seen = [], False
            for module in model:
                if isinstance(module, nn.Linear):
                    if seen:
                        layers.append(_Drop(p))
                    seen = True
                layers.append(module)
            return nn.Sequential(*layers)
    """),
})


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "no scaling": {"d05_dropout_statistics", "d05_dropout_values"},
    "scales by (1 - p) instead of 1 / (1 - p)": {"d05_dropout_statistics", "d05_dropout_values"},
    "p used as the keep probability, scaled by 1 / p":
        {"d05_dropout_edges", "d05_dropout_statistics", "d05_dropout_values"},
    "p used as the keep probability, scaled by 1 / (1 - p)": {"d05_dropout_statistics"},
    "drops in eval mode too": {"d05_dropout_edges", "d05_module_eval"},
    "original dropout: unscaled in training, times (1 - p) in eval":
        {"d05_dropout_edges", "d05_dropout_statistics", "d05_dropout_values", "d05_module_eval"},
    "scales in eval mode as well": {"d05_dropout_edges", "d05_module_eval"},
    "NaN at p = 1 (tensor division by zero)": {"d05_dropout_edges"},
    "ZeroDivisionError at p = 1 (Python division)": {"d05_dropout_edges"},
    "modifies x in place with mul_":
        {"d05_dropout_edges", "d05_dropout_statistics", "d05_dropout_values", "d05_module_eval"},
    "modifies x in place by masked assignment":
        {"d05_dropout_edges", "d05_dropout_statistics", "d05_dropout_values", "d05_module_eval"},
    "fixed mask: seeds its own generator with a constant": {"d05_dropout_statistics"},
    "fixed mask without a generator: torch.manual_seed inside": {"d05_dropout_statistics"},
    "re-seeds the generator it is given": {"d05_dropout_statistics"},
    "ignores the generator": {"d05_dropout_statistics"},
    "drops exactly round(p * n) elements (permutation)": {"d05_dropout_statistics"},
    "drops whole rows (one draw per first-axis index)": {"d05_dropout_statistics", "d05_dropout_values"},
    # d05_module_eval: whether its one draw keeps or drops everything there is up to PyTorch's global
    # generator, which the cells before it use too (d05_module_train draws through F.dropout).
    "one draw for the whole tensor": {"d05_dropout_statistics", "d05_dropout_values"},
    "rescales by the observed share kept, not 1 / (1 - p)": {"d05_dropout_values"},
    "returns the scaled mask, forgets x": {"d05_dropout_values", "d05_module_eval"},
    "cuts the gradient with detach": {"d05_dropout_values"},
    "returns a float32 mask product for float64 input": {"d05_dropout_values"},
    "no ValueError": {"d05_dropout_edges"},
    "ValueError only for p > 1": {"d05_dropout_edges"},
    "rejects p = 1 (checks [0, 1))": {"d05_dropout_edges"},
    "AssertionError instead of ValueError": {"d05_dropout_edges"},
    "checks p only in training mode": {"d05_dropout_edges"},
    "calls F.dropout (and so ignores the generator)": {"d05_dropout_no_builtin", "d05_dropout_statistics"},
    "F.dropout under a seed taken from the generator": {"d05_dropout_no_builtin"},
    "module calls F.dropout without training=": {"d05_module_eval"},
    "module calls dropout without training=": {"d05_module_eval"},
    "module copies self.training once in __init__": {"d05_module_eval"},
    "module stores p as an nn.Parameter": {"d05_module_basics"},
    "module stores p as a buffer": {"d05_module_basics"},
    "module stores the keep probability as p": {"d05_module_basics"},
    "module does not check p": {"d05_module_basics"},
    "module uses a fixed rate of 0.5": {"d05_module_train"},
    "module drops nothing in training mode": {"d05_module_eval", "d05_module_train"},
    "add_dropout: after every activation, also one on the output": {"d05_place_train"},
    "add_dropout: after every Linear, the last one too": {"d05_place_train", "d05_place_rate"},
    "add_dropout: between each hidden Linear and its activation": {"d05_place_train"},
    "add_dropout: on the input as well": {"d05_place_rate", "d05_place_train"},
    "add_dropout: on the input only": {"d05_place_train", "d05_place_rate"},
    "add_dropout: one dropout, before the last Linear only": {"d05_place_rate"},
    "add_dropout: fixed rate 0.5": {"d05_place_train", "d05_place_rate"},
    "add_dropout: p used as the keep probability": {"d05_place_train", "d05_place_rate"},
    "add_dropout: only after nn.ReLU": {"d05_place_train"},
    # d05_place_train calls add_dropout twice on one model: the second call finds the first one's
    # dropout layers already inside it.
    "add_dropout: inserts into model itself": {"d05_place_eval", "d05_place_train"},
    "add_dropout: a module that calls F.dropout without training=": {"d05_place_eval"},
}

# An unsolved exercise also fails these cells of the exercises that call it.
STUB_ALSO_FAILS = {"dropout": {"d05_module_eval"}}


# Second review: add_dropout answers in other styles, and more of the usual mistakes.
CORRECT.update({
    "add_dropout: one nn.Dropout instance shared by every place": """
        def add_dropout(model, p):
            drop = nn.Dropout(p)
            modules = list(model)
            layers = []
            for i, module in enumerate(modules):
                layers.append(module)
                if not isinstance(module, nn.Linear) and any(
                        isinstance(later, nn.Linear) for later in modules[i + 1:]):
                    layers.append(drop)
            return nn.Sequential(*layers)
    """,
    "add_dropout: after every activation but the last module, deep copies appended": """
        import copy
        def add_dropout(model, p):
            new = nn.Sequential()
            for i, module in enumerate(model):
                new.append(copy.deepcopy(module))
                if i < len(model) - 1 and not isinstance(module, nn.Linear):
                    new.append(nn.Dropout(p))
            return new
    """,
    "add_dropout: activations are the modules without parameters, walked backwards": """
        def add_dropout(model, p):
            layers, linear_after = [], False
            for module in reversed(list(model)):
                if linear_after and not list(module.parameters()):
                    layers.append(nn.Dropout(p))
                layers.append(module)
                linear_after = linear_after or isinstance(module, nn.Linear)
            return nn.Sequential(*reversed(layers))
    """,
    "add_dropout: a string of kinds, dropout inside every 'aL'": """
        def add_dropout(model, p):
            kinds = "".join("L" if isinstance(m, nn.Linear) else "a" for m in model)
            layers = []
            for i, module in enumerate(model):
                layers.append(module)
                if kinds[i:i + 2] == "aL":
                    layers.append(nn.Dropout(p))
            return nn.Sequential(*layers)
    """,
})

WRONG.update({
    "add_dropout: nn.Dropout1d, which drops whole rows of a 2-D input": ("add_dropout", _placer("""
        modules = list(model)
        last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
        layers = []
        for i, module in enumerate(modules):
            layers.append(module)
            if i < last and not isinstance(module, nn.Linear):
                layers.append(nn.Dropout1d(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: a fixed list of activation types": ("add_dropout", _placer("""
        modules = list(model)
        last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
        layers = []
        for i, module in enumerate(modules):
            layers.append(module)
            if i < last and isinstance(module, (nn.ReLU, nn.Tanh, nn.Sigmoid)):
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: never after the last activation": ("add_dropout", _placer("""
        activations = [i for i, m in enumerate(model) if not isinstance(m, nn.Linear)]
        layers = []
        for i, module in enumerate(model):
            layers.append(module)
            if i in activations[:-1]:
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: built from model.modules(), which starts with model itself": ("add_dropout", _placer("""
        modules = list(model.modules())
        last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
        layers = []
        for i, module in enumerate(modules):
            layers.append(module)
            if i < last and not isinstance(module, nn.Linear):
                layers.append(nn.Dropout(p))
        return nn.Sequential(*layers)
    """)),
    "add_dropout: undoes the scaling with a (1 - p) factor after each dropout": ("add_dropout", """
        class _Scale(nn.Module):
            def __init__(self, factor):
                super().__init__()
                self.factor = factor

            def forward(self, x):
                return x * self.factor

        def add_dropout(model, p):
            modules = list(model)
            last = max(i for i, m in enumerate(modules) if isinstance(m, nn.Linear))
            layers = []
            for i, module in enumerate(modules):
                layers.append(module)
                if i < last and not isinstance(module, nn.Linear):
                    layers += [nn.Dropout(p), _Scale(1 - p)]
            return nn.Sequential(*layers)
    """),
})

WRONG_FAILS.update({
    "add_dropout: nn.Dropout1d, which drops whole rows of a 2-D input": {"d05_place_rate"},
    "add_dropout: a fixed list of activation types": {"d05_place_train"},
    "add_dropout: never after the last activation": {"d05_place_rate", "d05_place_train"},
    "add_dropout: built from model.modules(), which starts with model itself":
        {"d05_place_eval", "d05_place_rate", "d05_place_train"},
    "add_dropout: undoes the scaling with a (1 - p) factor after each dropout":
        {"d05_place_eval", "d05_place_rate"},
})
