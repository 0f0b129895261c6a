"""The exercises of 08_activations_mlp, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "08_activations_mlp"
GELU = {"a08_gelu_none", "a08_gelu_tanh", "a08_gelu_errors", "a08_gelu_no_builtin"}
MERGE = {"a08_merge_basic", "a08_merge_bias", "a08_merge_inputs", "a08_merge_errors"}
XOR = {"a08_xor_structure", "a08_xor_outputs", "a08_xor_fresh"}
MLP = {"a08_mlp_layers", "a08_mlp_dropout", "a08_mlp_errors"}
EXERCISES = {"gelu": GELU, "merge_linear_layers": MERGE, "xor_network": XOR, "make_mlp": MLP}


CORRECT = {
    "gelu: erf with a precomputed constant, dict of forms": """
        def gelu(x, approximate="none"):
            forms = {
                "none": lambda t: t * 0.5 * (1 + torch.erf(t * 0.7071067811865476)),
                "tanh": lambda t: 0.5 * t * (1 + torch.tanh(0.7978845608028654 * (t + 0.044715 * t.pow(3)))),
            }
            if not isinstance(approximate, str) or approximate not in forms:
                raise ValueError("approximate must be 'none' or 'tanh'")
            return forms[approximate](x)
    """,
    "gelu: the normal CDF from torch.special.ndtr, tanh via sigmoid": """
        def gelu(x, approximate="none"):
            if approximate == "tanh":
                inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
                return x * torch.sigmoid(2 * inner)      # 0.5 * (1 + tanh(u)) == sigmoid(2u)
            elif approximate == "none":
                return x * torch.special.ndtr(x)
            raise ValueError(f"unknown approximate {approximate!r}")
    """,
    "merge: torch.addmv for the bias, fresh Parameters": """
        def merge_linear_layers(first, second):
            if first.out_features != second.in_features:
                raise ValueError("sizes do not match")
            bias = first.bias is not None or second.bias is not None
            merged = nn.Linear(first.in_features, second.out_features, bias=bias)
            w = second.weight.detach() @ first.weight.detach()
            merged.weight = nn.Parameter(w.clone())
            if bias:
                b1 = first.bias.detach() if first.bias is not None else torch.zeros(first.out_features)
                b2 = second.bias.detach() if second.bias is not None else torch.zeros(second.out_features)
                merged.bias = nn.Parameter(torch.addmv(b2, second.weight.detach(), b1))
            return merged
    """,
    "merge: push an identity matrix and zeros through the two layers": """
        def merge_linear_layers(first, second):
            if second.in_features != first.out_features:
                raise ValueError(f"{first.out_features} != {second.in_features}")
            has_bias = (first.bias is not None) or (second.bias is not None)
            with torch.no_grad():
                at_zero = second(first(torch.zeros(1, first.in_features)))[0]
                columns = second(first(torch.eye(first.in_features))) - at_zero
                merged = nn.Linear(first.in_features, second.out_features, bias=has_bias)
                merged.weight.copy_(columns.T)
                if has_bias:
                    merged.bias.copy_(at_zero)
            return merged
    """,
    "xor: two ReLU units, OR minus twice AND": """
        def xor_network():
            net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
            with torch.no_grad():
                net[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
                net[0].bias.copy_(torch.tensor([0.0, -1.0]))
                net[2].weight.copy_(torch.tensor([[1.0, -2.0]]))
                net[2].bias.fill_(0.0)
            return net
    """,
    "xor: three steep sigmoid units (OR, AND, and an unused one)": """
        def xor_network():
            net = nn.Sequential(nn.Linear(2, 3), nn.Sigmoid(), nn.Linear(3, 1))
            with torch.no_grad():
                net[0].weight.copy_(torch.tensor([[20.0, 20.0], [20.0, 20.0], [0.0, 0.0]]))
                net[0].bias.copy_(torch.tensor([-10.0, -30.0, 0.0]))
                net[2].weight.copy_(torch.tensor([[1.0, -1.0, 0.0]]))
                net[2].bias.zero_()
            return net
    """,
    "xor: tanh units, (tanh(a - b)) squared done with two units": """
        def xor_network():
            first, last = nn.Linear(2, 2), nn.Linear(2, 1)
            first.weight.data = torch.tensor([[10.0, -10.0], [-10.0, 10.0]])
            first.bias.data = torch.tensor([-5.0, -5.0])
            last.weight.data = torch.tensor([[0.5, 0.5]])
            last.bias.data = torch.tensor([1.0])
            return nn.Sequential(first, nn.Tanh(), last)
    """,
    "make_mlp: loop over pairs, activation before each Linear but the first": """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            if len(sizes) < 2 or min(sizes) < 1:
                raise ValueError("need two or more sizes, each at least 1")
            if dropout < 0 or dropout >= 1:
                raise ValueError("dropout must be in [0, 1)")
            layers = [nn.Linear(sizes[0], sizes[1])]
            for a, b in zip(sizes[1:], sizes[2:]):
                layers.append(activation())
                if dropout:
                    layers.append(nn.Dropout(dropout))
                layers.append(nn.Linear(a, b))
            return nn.Sequential(*layers)
    """,
    "make_mlp: build with append, then drop the trailing extras": """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            sizes = tuple(sizes)
            if len(sizes) < 2:
                raise ValueError("too few sizes")
            for s in sizes:
                if s < 1:
                    raise ValueError(f"bad size {s}")
            if not (0 <= dropout < 1):
                raise ValueError(f"bad dropout {dropout}")
            net = nn.Sequential()
            for i in range(len(sizes) - 1):
                net.append(nn.Linear(sizes[i], sizes[i + 1]))
                net.append(activation())
                if dropout > 0:
                    net.append(nn.Dropout(p=dropout))
            while not isinstance(net[-1], nn.Linear):
                del net[-1]
            return net
    """,
}

_GELU_OK = """
            if approximate == "tanh":
                return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
            if approximate != "none":
                raise ValueError("approximate")
"""

WRONG = {
    "gelu: forgets the sqrt(2) inside erf": ("gelu", """
        def gelu(x, approximate="none"):""" + _GELU_OK + """
            return 0.5 * x * (1 + torch.erf(x))
    """),
    "gelu: the tanh form for both": ("gelu", """
        def gelu(x, approximate="none"):
            if approximate not in ("none", "tanh"):
                raise ValueError("approximate")
            return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    """),
    "gelu: the sigmoid approximation x * sigmoid(1.702 x)": ("gelu", """
        def gelu(x, approximate="none"):""" + _GELU_OK + """
            return x * torch.sigmoid(1.702 * x)
    """),
    "gelu: tanh form without the cubic term": ("gelu", """
        def gelu(x, approximate="none"):
            if approximate == "tanh":
                return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * x))
            if approximate != "none":
                raise ValueError("approximate")
            return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    """),
    "gelu: anything but tanh means none": ("gelu", """
        def gelu(x, approximate="none"):
            if approximate == "tanh":
                return 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
            return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    """),
    "gelu: calls F.gelu": ("gelu", """
        def gelu(x, approximate="none"):
            if approximate not in ("none", "tanh"):
                raise ValueError("approximate")
            return F.gelu(x, approximate=approximate)
    """),
    "merge: W1 @ W2 (wrong order)": ("merge_linear_layers", """
        def merge_linear_layers(first, second):
            if first.out_features != second.in_features:
                raise ValueError("sizes")
            merged = nn.Linear(first.in_features, second.out_features)
            with torch.no_grad():
                merged.weight.copy_((first.weight.T @ second.weight.T))
                merged.bias.copy_(second.weight @ first.bias + second.bias)
            return merged
    """),
    "merge: adds the biases (forgets W2 @ b1)": ("merge_linear_layers", """
        def merge_linear_layers(first, second):
            if first.out_features != second.in_features:
                raise ValueError("sizes")
            has_bias = first.bias is not None or second.bias is not None
            merged = nn.Linear(first.in_features, second.out_features, bias=has_bias)
            with torch.no_grad():
                merged.weight.copy_(second.weight @ first.weight)
                if has_bias:
                    merged.bias.zero_()
                    if second.bias is not None:
                        merged.bias.add_(second.bias)
                    if first.bias is not None and first.out_features == second.out_features:
                        merged.bias.add_(first.bias)
            return merged
    """),
    "merge: always a bias": ("merge_linear_layers", """
        def merge_linear_layers(first, second):
            if first.out_features != second.in_features:
                raise ValueError("sizes")
            merged = nn.Linear(first.in_features, second.out_features)
            with torch.no_grad():
                merged.weight.copy_(second.weight @ first.weight)
                b1 = first.bias if first.bias is not None else torch.zeros(first.out_features)
                b2 = second.bias if second.bias is not None else torch.zeros(second.out_features)
                merged.bias.copy_(second.weight @ b1 + b2)
            return merged
    """),
    "merge: writes the result into first": ("merge_linear_layers", """
        def merge_linear_layers(first, second):
            if first.out_features != second.in_features:
                raise ValueError("sizes")
            has_bias = first.bias is not None or second.bias is not None
            merged = nn.Linear(first.in_features, second.out_features, bias=has_bias)
            with torch.no_grad():
                merged.weight.copy_(second.weight @ first.weight)
                if has_bias:
                    b = torch.zeros(second.out_features)
                    if first.bias is not None:
                        b += second.weight @ first.bias
                        first.bias.zero_()
                    if second.bias is not None:
                        b += second.bias
                    merged.bias.copy_(b)
            return merged
    """),
    "merge: no size check (matmul raises RuntimeError)": ("merge_linear_layers", """
        def merge_linear_layers(first, second):
            has_bias = first.bias is not None or second.bias is not None
            merged = nn.Linear(first.in_features, second.out_features, bias=has_bias)
            with torch.no_grad():
                merged.weight.copy_(second.weight @ first.weight)
                if has_bias:
                    b = torch.zeros(second.out_features)
                    if first.bias is not None:
                        b = b + second.weight @ first.bias
                    if second.bias is not None:
                        b = b + second.bias
                    merged.bias.copy_(b)
            return merged
    """),
    "xor: no activation between the layers (Identity)": ("xor_network", """
        def xor_network():
            net = nn.Sequential(nn.Linear(2, 2), nn.Identity(), nn.Linear(2, 1))
            with torch.no_grad():
                net[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
                net[0].bias.copy_(torch.tensor([0.0, -1.0]))
                net[2].weight.copy_(torch.tensor([[1.0, -2.0]]))
                net[2].bias.zero_()
            return net
    """),
    "xor: computes OR (second unit's bias forgotten)": ("xor_network", """
        def xor_network():
            net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
            with torch.no_grad():
                net[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
                net[0].bias.zero_()
                net[2].weight.copy_(torch.tensor([[1.0, -0.5]]))
                net[2].bias.zero_()
            return net
    """),
    "xor: a sigmoid on the output as a fourth module": ("xor_network", """
        def xor_network():
            net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
            with torch.no_grad():
                net[0].weight.copy_(torch.tensor([[20.0, 20.0], [20.0, 20.0]]))
                net[0].bias.copy_(torch.tensor([-10.0, -30.0]))
                net[2].weight.copy_(torch.tensor([[20.0, -20.0]]))
                net[2].bias.fill_(-10.0)
            return net
    """),
    "xor: one network built once and returned every time": ("xor_network", """
        _NET = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
        with torch.no_grad():
            _NET[0].weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
            _NET[0].bias.copy_(torch.tensor([0.0, -1.0]))
            _NET[2].weight.copy_(torch.tensor([[1.0, -2.0]]))
            _NET[2].bias.zero_()
        def xor_network():
            return _NET
    """),
    "make_mlp: activation after the last Linear too": ("make_mlp", """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            if len(sizes) < 2 or min(sizes) < 1 or not 0 <= dropout < 1:
                raise ValueError("bad arguments")
            layers = []
            for a, b in zip(sizes, sizes[1:]):
                layers += [nn.Linear(a, b), activation()]
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
            return nn.Sequential(*layers)
    """),
    "make_mlp: dropout before the activation": ("make_mlp", """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            if len(sizes) < 2 or min(sizes) < 1 or not 0 <= dropout < 1:
                raise ValueError("bad arguments")
            layers = [nn.Linear(sizes[0], sizes[1])]
            for a, b in zip(sizes[1:], sizes[2:]):
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
                layers += [activation(), nn.Linear(a, b)]
            return nn.Sequential(*layers)
    """),
    "make_mlp: one activation module shared by every place": ("make_mlp", """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            if len(sizes) < 2 or min(sizes) < 1 or not 0 <= dropout < 1:
                raise ValueError("bad arguments")
            act = activation()
            layers = [nn.Linear(sizes[0], sizes[1])]
            for a, b in zip(sizes[1:], sizes[2:]):
                layers.append(act)
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
                layers.append(nn.Linear(a, b))
            return nn.Sequential(*layers)
    """),
    "make_mlp: always inserts Dropout, even for 0": ("make_mlp", """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            if len(sizes) < 2 or min(sizes) < 1 or not 0 <= dropout < 1:
                raise ValueError("bad arguments")
            layers = [nn.Linear(sizes[0], sizes[1])]
            for a, b in zip(sizes[1:], sizes[2:]):
                layers += [activation(), nn.Dropout(dropout), nn.Linear(a, b)]
            return nn.Sequential(*layers)
    """),
    "make_mlp: allows dropout = 1 (checks with <=)": ("make_mlp", """
        def make_mlp(sizes, activation=nn.ReLU, dropout=0.0):
            if len(sizes) < 2 or min(sizes) < 1 or not 0 <= dropout <= 1:
                raise ValueError("bad arguments")
            layers = [nn.Linear(sizes[0], sizes[1])]
            for a, b in zip(sizes[1:], sizes[2:]):
                layers.append(activation())
                if dropout > 0:
                    layers.append(nn.Dropout(dropout))
                layers.append(nn.Linear(a, b))
            return nn.Sequential(*layers)
    """),
}

WRONG_FAILS = {
    "gelu: forgets the sqrt(2) inside erf": {"a08_gelu_none", "a08_gelu_no_builtin"},
    "gelu: the tanh form for both": {"a08_gelu_none", "a08_gelu_no_builtin"},
    "gelu: the sigmoid approximation x * sigmoid(1.702 x)": {"a08_gelu_none", "a08_gelu_no_builtin"},
    "gelu: tanh form without the cubic term": {"a08_gelu_tanh", "a08_gelu_no_builtin"},
    "gelu: anything but tanh means none": {"a08_gelu_errors"},
    "gelu: calls F.gelu": {"a08_gelu_no_builtin"},
    "merge: W1 @ W2 (wrong order)": {"a08_merge_basic", "a08_merge_bias"},
    "merge: adds the biases (forgets W2 @ b1)": {"a08_merge_basic", "a08_merge_bias"},
    "merge: always a bias": {"a08_merge_bias"},
    "merge: writes the result into first": {"a08_merge_basic", "a08_merge_bias", "a08_merge_inputs"},
    "merge: no size check (matmul raises RuntimeError)": {"a08_merge_errors"},
    "xor: no activation between the layers (Identity)": {"a08_xor_outputs", "a08_xor_fresh"},
    "xor: computes OR (second unit's bias forgotten)": {"a08_xor_outputs", "a08_xor_fresh"},
    "xor: a sigmoid on the output as a fourth module": {"a08_xor_structure"},
    "xor: one network built once and returned every time": {"a08_xor_fresh"},
    "make_mlp: activation after the last Linear too": {"a08_mlp_layers", "a08_mlp_dropout", "a08_mlp_errors"},
    "make_mlp: dropout before the activation": {"a08_mlp_dropout"},
    "make_mlp: one activation module shared by every place": {"a08_mlp_dropout"},
    "make_mlp: always inserts Dropout, even for 0": {"a08_mlp_layers", "a08_mlp_errors"},
    "make_mlp: allows dropout = 1 (checks with <=)": {"a08_mlp_errors"},
}
