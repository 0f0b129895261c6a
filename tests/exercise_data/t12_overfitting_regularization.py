"""The exercises of 12_overfitting_regularization, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "12_overfitting_regularization"
L2 = {"o12_l2_basic", "o12_l2_excluded", "o12_l2_include_bias", "o12_l2_grad_empty"}
STOP = {"o12_es_basic", "o12_es_patience", "o12_es_min_delta", "o12_es_errors"}
GRID = {"o12_grid_basic", "o12_grid_edge", "o12_grid_errors"}
LOGU = {"o12_logu_basic", "o12_logu_range", "o12_logu_dist", "o12_logu_errors"}
GROUPS = {"o12_groups_partition", "o12_groups_adamw"}
EXERCISES = {"l2_penalty": L2, "early_stopping": STOP, "grid_search": GRID, "log_uniform": LOGU,
             "decay_groups": GROUPS}


CORRECT = {
    "l2_penalty: modules walked, parameters of each taken without recursion": """
        def l2_penalty(model, include_bias=False):
            norm_types = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm1d,
                          nn.InstanceNorm2d, nn.InstanceNorm3d, nn.LayerNorm, nn.GroupNorm)
            total = torch.tensor(0.0)
            seen = set()
            for module in model.modules():
                is_norm = isinstance(module, norm_types)
                for name, p in module.named_parameters(recurse=False):
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                    if include_bias or (name != "bias" and not is_norm):
                        total = total + p.pow(2).sum()
            return total
    """,
    "l2_penalty: names of norm modules, then a stacked sum": """
        def l2_penalty(model, include_bias=False):
            norm_types = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
            norm_names = {name for name, m in model.named_modules() if isinstance(m, norm_types)}
            squares = []
            for name, p in model.named_parameters():
                owner, _, last = name.rpartition(".")
                if not include_bias and (last == "bias" or owner in norm_names):
                    continue
                squares.append(torch.sum(p * p))
            if not squares:
                return torch.zeros(())
            return torch.stack(squares).sum()
    """,
    "l2_penalty: norm squared": """
        def l2_penalty(model, include_bias=False):
            excluded = set()
            if not include_bias:
                for m in model.modules():
                    if isinstance(m, (nn.modules.batchnorm._BatchNorm, nn.modules.instancenorm._InstanceNorm,
                                      nn.LayerNorm, nn.GroupNorm)):
                        excluded |= {id(q) for q in m.parameters()}
            terms = [p.norm() ** 2 for n, p in model.named_parameters()
                     if include_bias or (n.split(".")[-1] != "bias" and id(p) not in excluded)]
            return sum(terms, torch.tensor(0.0))
    """,
    "early_stopping: a countdown that ends the loop": """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if not val_losses or patience < 1:
                raise ValueError("need a non-empty list and patience >= 1")
            best_epoch = 0
            for epoch, loss in enumerate(val_losses):
                if epoch > 0 and val_losses[best_epoch] - loss > min_delta:
                    best_epoch = epoch
                if epoch - best_epoch >= patience:
                    return epoch, best_epoch
            return len(val_losses) - 1, best_epoch
    """,
    "early_stopping: loss < best - min_delta with math.inf as the start": """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if len(val_losses) < 1:
                raise ValueError("val_losses must not be empty")
            if patience < 1:
                raise ValueError("patience must be >= 1")
            best, best_epoch, bad = math.inf, 0, 0
            for epoch, loss in enumerate(val_losses):
                if epoch == 0 or loss < best - min_delta:
                    best, best_epoch, bad = loss, epoch, 0
                else:
                    bad += 1
                if bad >= patience:
                    return (epoch, best_epoch)
            return (len(val_losses) - 1, best_epoch)
    """,
    "grid_search: recursion over the keys": """
        def grid_search(space):
            if any(len(v) == 0 for v in space.values()):
                raise ValueError("a hyperparameter has no values")
            combos = [{}]
            for name, values in space.items():
                combos = [{**combo, name: value} for combo in combos for value in values]
            return combos
    """,
    "grid_search: itertools.product over items": """
        def grid_search(space):
            keys = list(space.keys())
            lists = [list(space[k]) for k in keys]
            for k, v in zip(keys, lists):
                if not v:
                    raise ValueError(f"empty list of values for {k}")
            out = []
            for values in itertools.product(*lists):
                out.append({k: v for k, v in zip(keys, values)})
            return out
    """,
    "grid_search: every value list must be a non-empty list": """
        def grid_search(space):
            for name, values in space.items():
                if not isinstance(values, list) or not values:
                    raise ValueError(f"{name!r} needs a non-empty list of values")
            return [dict(zip(space, combo)) for combo in itertools.product(*space.values())]
    """,
    "log_uniform: low · (high/low)^u with uniform_": """
        def log_uniform(low, high, n, generator=None):
            if low <= 0 or high <= low or n < 1:
                raise ValueError("need 0 < low < high and n >= 1")
            u = torch.empty(n, dtype=torch.float64).uniform_(0, 1, generator=generator)
            return low * (high / low) ** u
    """,
    "log_uniform: base-10 exponents, float32 draws cast to float64": """
        def log_uniform(low, high, n, generator=None):
            if not (low > 0 and high > low):
                raise ValueError(f"bad range {low}, {high}")
            if n < 1:
                raise ValueError("n must be at least 1")
            a, b = math.log10(low), math.log10(high)
            u = torch.rand(n, generator=generator).double()
            return torch.clamp(10.0 ** (a + (b - a) * u), min=low)
    """,
    "decay_groups: one group per parameter": """
        def decay_groups(model, weight_decay):
            norm_types = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.InstanceNorm1d,
                          nn.InstanceNorm2d, nn.InstanceNorm3d, nn.LayerNorm, nn.GroupNorm)
            groups, seen = [], set()
            for module in model.modules():
                for name, p in module.named_parameters(recurse=False):
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                    plain = name != "bias" and not isinstance(module, norm_types)
                    groups.append({"params": [p], "weight_decay": weight_decay if plain else 0.0})
            return groups
    """,
    "decay_groups: built on the reference l2_penalty's rule, no-decay group first": """
        def decay_groups(model, weight_decay):
            norm_names = {n for n, m in model.named_modules()
                          if isinstance(m, (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm))}
            no_decay = [p for n, p in model.named_parameters()
                        if n.rpartition(".")[2] == "bias" or n.rpartition(".")[0] in norm_names]
            decay = [p for n, p in model.named_parameters()
                     if not (n.rpartition(".")[2] == "bias" or n.rpartition(".")[0] in norm_names)]
            return [{"params": no_decay, "weight_decay": 0.0},
                    {"params": decay, "weight_decay": weight_decay}]
    """,
}


WRONG = {
    "l2_penalty: half the sum of squares": ("l2_penalty", """
        def l2_penalty(model, include_bias=False):
            norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
            skip = {id(p) for m in model.modules() if isinstance(m, norms) for p in m.parameters()}
            total = torch.tensor(0.0)
            for name, p in model.named_parameters():
                if include_bias or (name.rsplit(".", 1)[-1] != "bias" and id(p) not in skip):
                    total = total + 0.5 * (p ** 2).sum()
            return total
    """),
    "l2_penalty: 'bias' anywhere in the name": ("l2_penalty", """
        def l2_penalty(model, include_bias=False):
            norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
            skip = {id(p) for m in model.modules() if isinstance(m, norms) for p in m.parameters()}
            total = torch.tensor(0.0)
            for name, p in model.named_parameters():
                if include_bias or ("bias" not in name and id(p) not in skip):
                    total = total + (p ** 2).sum()
            return total
    """),
    "l2_penalty: 1-D parameters taken for biases and norm scales": ("l2_penalty", """
        def l2_penalty(model, include_bias=False):
            total = torch.tensor(0.0)
            for p in model.parameters():
                if include_bias or p.dim() > 1:
                    total = total + (p ** 2).sum()
            return total
    """),
    "l2_penalty: norm layers kept in": ("l2_penalty", """
        def l2_penalty(model, include_bias=False):
            total = torch.tensor(0.0)
            for name, p in model.named_parameters():
                if include_bias or not name.endswith("bias"):
                    total = total + (p ** 2).sum()
            return total
    """),
    "l2_penalty: a Python float via .item()": ("l2_penalty", """
        def l2_penalty(model, include_bias=False):
            norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
            skip = {id(p) for m in model.modules() if isinstance(m, norms) for p in m.parameters()}
            return sum((p ** 2).sum().item() for n, p in model.named_parameters()
                       if include_bias or (n.rsplit(".", 1)[-1] != "bias" and id(p) not in skip))
    """),
    "l2_penalty: include_bias adds biases but still skips norm layers": ("l2_penalty", """
        def l2_penalty(model, include_bias=False):
            norms = (nn.modules.batchnorm._NormBase, nn.LayerNorm, nn.GroupNorm)
            skip = {id(p) for m in model.modules() if isinstance(m, norms) for p in m.parameters()}
            total = torch.tensor(0.0)
            for name, p in model.named_parameters():
                if id(p) in skip:
                    continue
                if include_bias or name.rsplit(".", 1)[-1] != "bias":
                    total = total + (p ** 2).sum()
            return total
    """),
    "early_stopping: compares with the previous epoch, not the best": ("early_stopping", """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if not val_losses or patience < 1:
                raise ValueError("bad input")
            best_epoch, waited = 0, 0
            for epoch in range(1, len(val_losses)):
                if val_losses[epoch - 1] - val_losses[epoch] > min_delta:
                    best_epoch, waited = epoch, 0
                else:
                    waited += 1
                    if waited == patience:
                        return epoch, best_epoch
            return len(val_losses) - 1, best_epoch
    """),
    "early_stopping: stops one epoch late (waited > patience)": ("early_stopping", """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if not val_losses or patience < 1:
                raise ValueError("bad input")
            best, best_epoch, waited = val_losses[0], 0, 0
            for epoch in range(1, len(val_losses)):
                if best - val_losses[epoch] > min_delta:
                    best, best_epoch, waited = val_losses[epoch], epoch, 0
                else:
                    waited += 1
                    if waited > patience:
                        return epoch, best_epoch
            return len(val_losses) - 1, best_epoch
    """),
    "early_stopping: a tie counts as an improvement": ("early_stopping", """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if not val_losses or patience < 1:
                raise ValueError("bad input")
            best, best_epoch, waited = val_losses[0], 0, 0
            for epoch in range(1, len(val_losses)):
                if best - val_losses[epoch] >= min_delta:
                    best, best_epoch, waited = val_losses[epoch], epoch, 0
                else:
                    waited += 1
                    if waited == patience:
                        return epoch, best_epoch
            return len(val_losses) - 1, best_epoch
    """),
    "early_stopping: never stopping returns len(val_losses)": ("early_stopping", """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if not val_losses or patience < 1:
                raise ValueError("bad input")
            best, best_epoch, waited = val_losses[0], 0, 0
            for epoch in range(1, len(val_losses)):
                if best - val_losses[epoch] > min_delta:
                    best, best_epoch, waited = val_losses[epoch], epoch, 0
                else:
                    waited += 1
                    if waited == patience:
                        return epoch, best_epoch
            return len(val_losses), best_epoch
    """),
    "early_stopping: min_delta ignored": ("early_stopping", """
        def early_stopping(val_losses, patience, min_delta=0.0):
            if not val_losses or patience < 1:
                raise ValueError("bad input")
            best, best_epoch, waited = val_losses[0], 0, 0
            for epoch in range(1, len(val_losses)):
                if val_losses[epoch] < best:
                    best, best_epoch, waited = val_losses[epoch], epoch, 0
                else:
                    waited += 1
                    if waited == patience:
                        return epoch, best_epoch
            return len(val_losses) - 1, best_epoch
    """),
    "early_stopping: no checks on its input": ("early_stopping", """
        def early_stopping(val_losses, patience, min_delta=0.0):
            best_epoch = 0
            for epoch in range(1, len(val_losses)):
                if val_losses[best_epoch] - val_losses[epoch] > min_delta:
                    best_epoch = epoch
                elif epoch - best_epoch == patience:
                    return epoch, best_epoch
            return len(val_losses) - 1, best_epoch
    """),
    "grid_search: the first key varies fastest": ("grid_search", """
        def grid_search(space):
            if any(len(v) == 0 for v in space.values()):
                raise ValueError("empty")
            names = list(space)[::-1]
            combos = itertools.product(*(space[k] for k in names))
            return [{k: c[names.index(k)] for k in space} for c in combos]
    """),
    "grid_search: names sorted alphabetically": ("grid_search", """
        def grid_search(space):
            if any(len(v) == 0 for v in space.values()):
                raise ValueError("empty")
            names = sorted(space)
            return [dict(zip(names, c)) for c in itertools.product(*(space[k] for k in names))]
    """),
    "grid_search: an empty space gives []": ("grid_search", """
        def grid_search(space):
            if not space:
                return []
            if any(len(v) == 0 for v in space.values()):
                raise ValueError("empty")
            return [dict(zip(space, c)) for c in itertools.product(*space.values())]
    """),
    "grid_search: empty values silently give no combinations": ("grid_search", """
        def grid_search(space):
            return [dict(zip(space, c)) for c in itertools.product(*space.values())]
    """),
    "log_uniform: uniform, not log-uniform": ("log_uniform", """
        def log_uniform(low, high, n, generator=None):
            if not 0 < low < high or n < 1:
                raise ValueError("bad arguments")
            return low + (high - low) * torch.rand(n, generator=generator, dtype=torch.float64)
    """),
    "log_uniform: base 10 power of natural logs": ("log_uniform", """
        def log_uniform(low, high, n, generator=None):
            if not 0 < low < high or n < 1:
                raise ValueError("bad arguments")
            u = torch.rand(n, generator=generator, dtype=torch.float64)
            return 10 ** (math.log(low) + u * (math.log(high) - math.log(low)))
    """),
    "log_uniform: ignores the generator": ("log_uniform", """
        def log_uniform(low, high, n, generator=None):
            if not 0 < low < high or n < 1:
                raise ValueError("bad arguments")
            u = torch.rand(n, dtype=torch.float64)
            return torch.exp(math.log(low) + u * (math.log(high) - math.log(low)))
    """),
    "log_uniform: float32 samples": ("log_uniform", """
        def log_uniform(low, high, n, generator=None):
            if not 0 < low < high or n < 1:
                raise ValueError("bad arguments")
            u = torch.rand(n, generator=generator)
            return torch.exp(math.log(low) + u * (math.log(high) - math.log(low))).clamp(min=low)
    """),
    "log_uniform: torch.logspace, which includes high": ("log_uniform", """
        def log_uniform(low, high, n, generator=None):
            if not 0 < low < high or n < 1:
                raise ValueError("bad arguments")
            return torch.logspace(math.log10(low), math.log10(high), n, dtype=torch.float64)
    """),
    "log_uniform: no check of the arguments": ("log_uniform", """
        def log_uniform(low, high, n, generator=None):
            u = torch.rand(max(n, 1), generator=generator, dtype=torch.float64)
            return low * (high / low) ** u
    """),
    "decay_groups: weight_decay for every parameter": ("decay_groups", """
        def decay_groups(model, weight_decay):
            return [{"params": list(model.parameters()), "weight_decay": weight_decay}]
    """),
    "decay_groups: norm layers decayed": ("decay_groups", """
        def decay_groups(model, weight_decay):
            decay = [p for n, p in model.named_parameters() if not n.endswith("bias")]
            keep = [p for n, p in model.named_parameters() if n.endswith("bias")]
            return [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]
    """),
    "decay_groups: 1-D parameters taken for biases and norm scales": ("decay_groups", """
        def decay_groups(model, weight_decay):
            decay = [p for p in model.parameters() if p.dim() > 1]
            keep = [p for p in model.parameters() if p.dim() <= 1]
            return [{"params": decay, "weight_decay": weight_decay}, {"params": keep, "weight_decay": 0.0}]
    """),
}

WRONG_FAILS = {
    'l2_penalty: half the sum of squares': set(L2),
    "l2_penalty: 'bias' anywhere in the name": {"o12_l2_excluded"},
    'l2_penalty: 1-D parameters taken for biases and norm scales': {"o12_l2_excluded"},
    'l2_penalty: norm layers kept in': {"o12_l2_excluded", "o12_l2_grad_empty"},
    'l2_penalty: a Python float via .item()': set(L2),
    'l2_penalty: include_bias adds biases but still skips norm layers': {"o12_l2_include_bias"},
    'early_stopping: compares with the previous epoch, not the best': {"o12_es_basic", "o12_es_patience"},
    'early_stopping: stops one epoch late (waited > patience)': STOP - {"o12_es_errors"},
    'early_stopping: a tie counts as an improvement': {"o12_es_min_delta", "o12_es_patience"},
    'early_stopping: never stopping returns len(val_losses)': STOP - {"o12_es_errors"},
    'early_stopping: min_delta ignored': {"o12_es_min_delta"},
    'early_stopping: no checks on its input': {"o12_es_errors"},
    'grid_search: the first key varies fastest': {"o12_grid_basic"},
    'grid_search: names sorted alphabetically': {"o12_grid_basic", "o12_grid_edge"},
    'grid_search: an empty space gives []': {"o12_grid_edge"},
    'grid_search: empty values silently give no combinations': {"o12_grid_errors"},
    'log_uniform: uniform, not log-uniform': {"o12_logu_dist"},
    'log_uniform: base 10 power of natural logs': {"o12_logu_dist", "o12_logu_range"},
    'log_uniform: ignores the generator': {"o12_logu_basic"},
    'log_uniform: float32 samples': {"o12_logu_basic"},
    'log_uniform: torch.logspace, which includes high': {"o12_logu_basic", "o12_logu_range"},
    'log_uniform: no check of the arguments': {"o12_logu_errors"},
    'decay_groups: weight_decay for every parameter': {"o12_groups_adamw"},
    'decay_groups: norm layers decayed': {"o12_groups_adamw"},
    'decay_groups: 1-D parameters taken for biases and norm scales': {"o12_groups_adamw"},
}
