"""The exercises of 06_softmax, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

import torch
from nbhelpers import failing, grade_with

ASSIGNMENT = "06_softmax"
SOFTMAX = {"m06_softmax_basic", "m06_softmax_dims", "m06_softmax_extreme", "m06_softmax_no_builtin"}
LOG_SOFTMAX = {"m06_log_softmax_basic", "m06_log_softmax_dims", "m06_log_softmax_extreme",
               "m06_log_softmax_no_builtin"}
CROSS_ENTROPY = {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
                 "m06_cross_entropy_no_builtin"}
BCE = {"m06_bce_basic", "m06_bce_extreme", "m06_bce_no_builtin"}
EXERCISES = {"softmax": SOFTMAX, "log_softmax": LOG_SOFTMAX, "cross_entropy": CROSS_ENTROPY,
             "binary_cross_entropy_with_logits": BCE}


def extra_grade_cells_restore_what_they_block():
    originals = (torch.softmax, torch.logsumexp, torch.nn.functional.softmax,
                 torch.nn.functional.cross_entropy, torch.nn.functional.binary_cross_entropy_with_logits)
    assert not failing(grade_with(ASSIGNMENT, source="""
        def softmax(x, dim=-1):
            return torch.softmax(x, dim=dim)
    """)) - SOFTMAX
    assert (torch.softmax, torch.logsumexp, torch.nn.functional.softmax,
            torch.nn.functional.cross_entropy,
            torch.nn.functional.binary_cross_entropy_with_logits) == originals
    assert "softmax" not in vars(torch.Tensor) and "logsumexp" not in vars(torch.Tensor)
    assert torch.tensor([0.0, 0.0]).softmax(0).tolist() == [0.5, 0.5]


CORRECT = {
    "softmax with max(...).values": """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.max(dim=dim, keepdim=True).values)
            return e / e.sum(dim=dim, keepdim=True)
    """,
    "softmax with a detached maximum": """
        def softmax(x, dim=-1):
            e = (x - x.detach().amax(dim, keepdim=True)).exp()
            return e / e.sum(dim, keepdim=True)
    """,
    "softmax by moving dim to the end": """
        def softmax(x, dim=-1):
            moved = x.movedim(dim, -1)
            e = torch.exp(moved - moved.amax(-1, keepdim=True))
            return (e / e.sum(-1, keepdim=True)).movedim(-1, dim)
    """,
    "softmax as exp of a stable log-softmax": """
        def softmax(x, dim=-1):
            s = x - x.amax(dim=dim, keepdim=True)
            return torch.exp(s - torch.log(torch.exp(s).sum(dim=dim, keepdim=True)))
    """,
    "softmax with unsqueeze instead of keepdim": """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.amax(dim=dim).unsqueeze(dim))
            return e / e.sum(dim=dim).unsqueeze(dim)
    """,
    "log_softmax as x - (m + log sum exp)": """
        def log_softmax(x, dim=-1):
            m = x.max(dim, keepdim=True)[0]
            return x - (m + (x - m).exp().sum(dim, keepdim=True).log())
    """,
    "log_softmax that replaces an infinite maximum by 0": """
        def log_softmax(x, dim=-1):
            m = x.amax(dim=dim, keepdim=True)
            m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
            return x - m - torch.log(torch.exp(x - m).sum(dim=dim, keepdim=True))
    """,
    "cross_entropy via the notebook's own log_softmax and gather": """
        def cross_entropy(logits, target):
            return -log_softmax(logits, dim=1).gather(1, target.unsqueeze(1)).mean()
    """,
    "cross_entropy via a one-hot mask": """
        def cross_entropy(logits, target):
            m = logits.amax(dim=1, keepdim=True)
            log_probs = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
            return -(F.one_hot(target, logits.shape[1]) * log_probs).sum(dim=1).mean()
    """,
    "cross_entropy as logsumexp minus the true logit, row by row": """
        def cross_entropy(logits, target):
            losses = []
            for row, t in zip(logits, target):
                m = row.max()
                losses.append(m + torch.log(torch.exp(row - m).sum()) - row[t])
            return torch.stack(losses).mean()
    """,
    "bce with softplus": """
        def binary_cross_entropy_with_logits(logits, target):
            return (F.softplus(logits) - logits * target).mean()
    """,
    "bce with logsigmoid": """
        def binary_cross_entropy_with_logits(logits, target):
            return -(target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)).mean()
    """,
    "bce with relu and torch.where-free formula": """
        def binary_cross_entropy_with_logits(logits, target):
            z, y = logits, target
            return ((1 - y) * z + torch.relu(-z) + torch.log1p(torch.exp(-z.abs()))).mean()
    """,
}


WRONG = {
    # softmax
    "softmax: naive exp / sum": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x)
            return e / e.sum(dim=dim, keepdim=True)
    """),
    "softmax: subtracts the global maximum": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.max())
            return e / e.sum(dim=dim, keepdim=True)
    """),
    "softmax: always along the last dim": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.amax(dim=-1, keepdim=True))
            return e / e.sum(dim=-1, keepdim=True)
    """),
    "softmax: divides by the sum of all elements": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.max())
            return e / e.sum()
    """),
    "softmax: forgets keepdim": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.amax(dim=dim))
            return e / e.sum(dim=dim)
    """),
    "softmax: turns an all -inf slice into zeros": ("softmax", """
        def softmax(x, dim=-1):
            m = x.amax(dim=dim, keepdim=True)
            e = torch.exp(x - torch.where(torch.isfinite(m), m, torch.zeros_like(m)))
            return e / e.sum(dim=dim, keepdim=True).clamp(min=1e-30)
    """),
    "softmax: subtracts the mean instead of the maximum": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x - x.mean(dim=dim, keepdim=True))
            return e / e.sum(dim=dim, keepdim=True)
    """),
    "softmax: clamps the logits": ("softmax", """
        def softmax(x, dim=-1):
            e = torch.exp(x.clamp(-80, 80))
            return e / e.sum(dim=dim, keepdim=True)
    """),
    "softmax: forgets to normalise": ("softmax", """
        def softmax(x, dim=-1):
            return torch.exp(x - x.amax(dim=dim, keepdim=True))
    """),
    "softmax: subtracts in place": ("softmax", """
        def softmax(x, dim=-1):
            x -= x.amax(dim=dim, keepdim=True)
            e = torch.exp(x)
            return e / e.sum(dim=dim, keepdim=True)
    """),
    "softmax: calls torch.softmax": ("softmax", """
        def softmax(x, dim=-1):
            return torch.softmax(x, dim=dim)
    """),
    "softmax: calls the tensor method": ("softmax", """
        def softmax(x, dim=-1):
            return x.softmax(dim)
    """),
    "softmax: uses nn.Softmax": ("softmax", """
        def softmax(x, dim=-1):
            return nn.Softmax(dim=dim)(x)
    """),
    "softmax: exp of x minus torch.logsumexp": ("softmax", """
        def softmax(x, dim=-1):
            return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))
    """),
    # log_softmax
    "log_softmax: log of a stable softmax": ("log_softmax", """
        def log_softmax(x, dim=-1):
            e = torch.exp(x - x.amax(dim=dim, keepdim=True))
            return torch.log(e / e.sum(dim=dim, keepdim=True))
    """),
    "log_softmax: naive log-sum-exp": ("log_softmax", """
        def log_softmax(x, dim=-1):
            return x - torch.log(torch.exp(x).sum(dim=dim, keepdim=True))
    """),
    "log_softmax: subtracts the global maximum": ("log_softmax", """
        def log_softmax(x, dim=-1):
            s = x - x.max()
            return s - torch.log(torch.exp(s).sum(dim=dim, keepdim=True))
    """),
    "log_softmax: always along the last dim": ("log_softmax", """
        def log_softmax(x, dim=-1):
            s = x - x.amax(dim=-1, keepdim=True)
            return s - torch.log(torch.exp(s).sum(dim=-1, keepdim=True))
    """),
    "log_softmax: log of softmax plus epsilon": ("log_softmax", """
        def log_softmax(x, dim=-1):
            e = torch.exp(x - x.amax(dim=dim, keepdim=True))
            return torch.log(e / e.sum(dim=dim, keepdim=True) + 1e-12)
    """),
    "log_softmax: forgets the log-sum-exp": ("log_softmax", """
        def log_softmax(x, dim=-1):
            return x - x.amax(dim=dim, keepdim=True)
    """),
    "log_softmax: forgets keepdim": ("log_softmax", """
        def log_softmax(x, dim=-1):
            s = x - x.amax(dim=dim)
            return s - torch.log(torch.exp(s).sum(dim=dim))
    """),
    "log_softmax: calls torch.logsumexp": ("log_softmax", """
        def log_softmax(x, dim=-1):
            return x - torch.logsumexp(x, dim=dim, keepdim=True)
    """),
    "log_softmax: calls F.log_softmax": ("log_softmax", """
        def log_softmax(x, dim=-1):
            return F.log_softmax(x, dim=dim)
    """),
    # cross_entropy
    "cross_entropy: sums instead of averaging": ("cross_entropy", """
        def cross_entropy(logits, target):
            m = logits.amax(dim=1, keepdim=True)
            log_probs = logits - m - torch.log(torch.exp(logits - m).sum(dim=1, keepdim=True))
            return -log_probs[torch.arange(len(target)), target].sum()
    """),
    "cross_entropy: applies softmax twice": ("cross_entropy", """
        def cross_entropy(logits, target):
            probs = softmax(logits, dim=1)
            return -log_softmax(probs, dim=1)[torch.arange(len(target)), target].mean()
    """),
    "cross_entropy: picks logits[:, target] (an N x N matrix)": ("cross_entropy", """
        def cross_entropy(logits, target):
            return -log_softmax(logits, dim=1)[:, target].mean()
    """),
    "cross_entropy: log of a naive softmax": ("cross_entropy", """
        def cross_entropy(logits, target):
            e = torch.exp(logits)
            probs = e / e.sum(dim=1, keepdim=True)
            return -torch.log(probs[torch.arange(len(target)), target]).mean()
    """),
    "cross_entropy: log of a stable softmax": ("cross_entropy", """
        def cross_entropy(logits, target):
            probs = softmax(logits, dim=1)
            return -torch.log(probs[torch.arange(len(target)), target]).mean()
    """),
    "cross_entropy: mean over every entry of the one-hot product": ("cross_entropy", """
        def cross_entropy(logits, target):
            return -(F.one_hot(target, logits.shape[1]) * log_softmax(logits, dim=1)).mean()
    """),
    "cross_entropy: uses probabilities instead of their log": ("cross_entropy", """
        def cross_entropy(logits, target):
            return -softmax(logits, dim=1)[torch.arange(len(target)), target].mean()
    """),
    "cross_entropy: forgets the minus sign": ("cross_entropy", """
        def cross_entropy(logits, target):
            return log_softmax(logits, dim=1)[torch.arange(len(target)), target].mean()
    """),
    "cross_entropy: scores the predicted class, not the target": ("cross_entropy", """
        def cross_entropy(logits, target):
            return -log_softmax(logits, dim=1).amax(dim=1).mean()
    """),
    "cross_entropy: returns a Python float": ("cross_entropy", """
        def cross_entropy(logits, target):
            return -log_softmax(logits, dim=1)[torch.arange(len(target)), target].mean().item()
    """),
    "cross_entropy: rebuilds the result with torch.tensor (no gradient)": ("cross_entropy", """
        def cross_entropy(logits, target):
            value = -log_softmax(logits, dim=1)[torch.arange(len(target)), target].mean()
            return torch.tensor(value.item(), dtype=logits.dtype)
    """),
    "cross_entropy: keeps a shape (1,) result": ("cross_entropy", """
        def cross_entropy(logits, target):
            picked = log_softmax(logits, dim=1).gather(1, target[:, None])
            return -picked.mean(dim=0)
    """),
    "cross_entropy: calls F.cross_entropy": ("cross_entropy", """
        def cross_entropy(logits, target):
            return F.cross_entropy(logits, target)
    """),
    "cross_entropy: F.nll_loss of torch.log_softmax": ("cross_entropy", """
        def cross_entropy(logits, target):
            return F.nll_loss(torch.log_softmax(logits, dim=1), target)
    """),
    # binary_cross_entropy_with_logits
    "bce: log of sigmoid": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            p = torch.sigmoid(logits)
            return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
    """),
    "bce: naive log(1 + exp(-z))": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            return ((1 - target) * logits + torch.log1p(torch.exp(-logits))).mean()
    """),
    "bce: clips probabilities like Keras": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            p = torch.sigmoid(logits).clamp(1e-7, 1 - 1e-7)
            return -(target * torch.log(p) + (1 - target) * torch.log(1 - p)).mean()
    """),
    "bce: forgets the (1 - y) term": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            return -(target * F.logsigmoid(logits)).mean()
    """),
    "bce: sums instead of averaging": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            return (F.softplus(logits) - logits * target).sum()
    """),
    "bce: softmax over the single logit": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            p = torch.exp(logits - logits) / torch.exp(logits - logits)
            return -(target * torch.log(p) + (1 - target) * torch.log1p(-p + 1e-7)).mean()
    """),
    "bce: F.binary_cross_entropy on sigmoid": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            return F.binary_cross_entropy(torch.sigmoid(logits), target)
    """),
    "bce: calls F.binary_cross_entropy_with_logits": ("binary_cross_entropy_with_logits", """
        def binary_cross_entropy_with_logits(logits, target):
            return F.binary_cross_entropy_with_logits(logits, target)
    """),
}


# Exactly the grade cells each wrong answer fails (tests/test_exercises.py checks that it fails no
# other and that they belong to its exercise, or to MAY_ALSO_FAIL).
WRONG_FAILS = {
    "softmax: naive exp / sum": {"m06_softmax_extreme"},
    "softmax: subtracts the global maximum": {"m06_softmax_extreme"},
    "softmax: always along the last dim":
        {"m06_softmax_dims", "m06_softmax_extreme", "m06_softmax_no_builtin"},
    "softmax: divides by the sum of all elements":
        {"m06_softmax_basic", "m06_softmax_dims", "m06_softmax_extreme", "m06_softmax_no_builtin"},
    "softmax: forgets keepdim": {"m06_softmax_basic", "m06_softmax_dims", "m06_softmax_extreme"},
    "softmax: turns an all -inf slice into zeros": {"m06_softmax_extreme"},
    "softmax: subtracts the mean instead of the maximum": {"m06_softmax_extreme"},
    "softmax: clamps the logits": {"m06_softmax_extreme"},
    "softmax: forgets to normalise":
        {"m06_softmax_basic", "m06_softmax_dims", "m06_softmax_extreme", "m06_softmax_no_builtin"},
    "softmax: subtracts in place": {"m06_softmax_basic"},
    "softmax: calls torch.softmax": {"m06_softmax_no_builtin"},
    "softmax: calls the tensor method": {"m06_softmax_no_builtin"},
    "softmax: uses nn.Softmax": {"m06_softmax_no_builtin"},
    "softmax: exp of x minus torch.logsumexp": {"m06_softmax_no_builtin"},
    "log_softmax: log of a stable softmax": {"m06_log_softmax_extreme"},
    "log_softmax: naive log-sum-exp": {"m06_log_softmax_extreme"},
    "log_softmax: subtracts the global maximum": {"m06_log_softmax_extreme"},
    "log_softmax: always along the last dim":
        {"m06_log_softmax_dims", "m06_log_softmax_extreme", "m06_log_softmax_no_builtin"},
    "log_softmax: log of softmax plus epsilon": {"m06_log_softmax_extreme"},
    "log_softmax: forgets the log-sum-exp":
        {"m06_log_softmax_basic", "m06_log_softmax_dims", "m06_log_softmax_extreme",
         "m06_log_softmax_no_builtin"},
    "log_softmax: forgets keepdim":
        {"m06_log_softmax_basic", "m06_log_softmax_dims", "m06_log_softmax_extreme"},
    "log_softmax: calls torch.logsumexp": {"m06_log_softmax_no_builtin"},
    "log_softmax: calls F.log_softmax": {"m06_log_softmax_no_builtin"},
    "cross_entropy: sums instead of averaging":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: applies softmax twice":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: picks logits[:, target] (an N x N matrix)":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: log of a naive softmax": {"m06_cross_entropy_extreme", "m06_cross_entropy_grad"},
    "cross_entropy: log of a stable softmax": {"m06_cross_entropy_extreme", "m06_cross_entropy_grad"},
    "cross_entropy: mean over every entry of the one-hot product":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: uses probabilities instead of their log":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: forgets the minus sign":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: scores the predicted class, not the target":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: returns a Python float":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: rebuilds the result with torch.tensor (no gradient)": {"m06_cross_entropy_grad"},
    "cross_entropy: keeps a shape (1,) result":
        {"m06_cross_entropy_basic", "m06_cross_entropy_extreme", "m06_cross_entropy_grad",
         "m06_cross_entropy_no_builtin"},
    "cross_entropy: calls F.cross_entropy": {"m06_cross_entropy_no_builtin"},
    "cross_entropy: F.nll_loss of torch.log_softmax": {"m06_cross_entropy_no_builtin"},
    "bce: log of sigmoid": {"m06_bce_extreme"},
    "bce: naive log(1 + exp(-z))": {"m06_bce_extreme"},
    "bce: clips probabilities like Keras": {"m06_bce_extreme"},
    "bce: forgets the (1 - y) term": {"m06_bce_basic", "m06_bce_extreme", "m06_bce_no_builtin"},
    "bce: sums instead of averaging": {"m06_bce_basic", "m06_bce_extreme", "m06_bce_no_builtin"},
    "bce: softmax over the single logit": {"m06_bce_basic", "m06_bce_extreme", "m06_bce_no_builtin"},
    "bce: F.binary_cross_entropy on sigmoid": {"m06_bce_extreme", "m06_bce_no_builtin"},
    "bce: calls F.binary_cross_entropy_with_logits": {"m06_bce_no_builtin"},
}


# temperature_for_confidence (Exercise 5): any temperature within the tolerance is correct, found any way.
TEMPERATURE = {"m06_temperature_basic", "m06_temperature_extreme", "m06_temperature_errors"}
EXERCISES["temperature_for_confidence"] = TEMPERATURE

CORRECT.update({
    "temperature by bisection on 1/T with its own stable softmax": """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            top = z.max()
            if target <= 1 / len(z) or target >= 1 / int((z == top).sum()):
                raise ValueError("no temperature reaches this target")

            def confidence(beta):
                return (1 / torch.exp(beta * (z - top)).sum()).item()

            lo, hi = 0.0, 1.0
            while confidence(hi) < target:
                hi *= 2
            for _ in range(200):
                mid = (lo + hi) / 2
                if confidence(mid) < target:
                    lo = mid
                else:
                    hi = mid
            return 1 / hi
    """,
    "temperature by scipy's brentq on log T": """
        def temperature_for_confidence(logits, target):
            import scipy.optimize
            c = logits.numel()
            k = int((logits == logits.max()).sum())
            if not (1 / c < target < 1 / k):
                raise ValueError("target out of reach")
            gap = lambda log_t: torch.softmax(logits.double() / math.exp(log_t), 0).max().item() - target
            lo, hi = -1.0, 1.0
            while gap(lo) < 0:
                lo -= 1
            while gap(hi) > 0:
                hi += 1
            return math.exp(scipy.optimize.brentq(gap, lo, hi, xtol=1e-14))
    """,
    "temperature by Newton's method on 1/T, returned as a 0-d tensor": """
        def temperature_for_confidence(logits, target):
            z = logits.to(torch.float64)
            m = z.max()
            if not 1 / z.numel() < target < 1 / (z == m).sum().item():
                raise ValueError(f"{target} cannot be reached")
            beta = torch.tensor(0.0, dtype=torch.float64)
            goal = math.log(target)
            for _ in range(500):
                p = torch.softmax(beta * z, dim=0)
                gap = p.max().log() - goal             # concave and rising in beta
                if abs(gap.item()) < 1e-13:
                    break
                beta = beta - gap / (m - (p * z).sum())
            return 1 / beta
    """,
    "temperature from a log-spaced grid, then bisection": """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            c, k = z.numel(), int((z == z.max()).sum())
            if target <= 1 / c or target >= 1 / k:
                raise ValueError("target out of reach")
            grid = torch.logspace(-12, 12, 2401, dtype=torch.float64)
            confidence = torch.softmax(z / grid[:, None], dim=1).amax(dim=1)
            i = int((confidence >= target).sum()) - 1
            lo, hi = grid[i].item(), grid[i + 1].item()
            for _ in range(100):
                mid = (lo + hi) / 2
                if torch.softmax(z / mid, 0).max() >= target:
                    lo = mid
                else:
                    hi = mid
            return lo
    """,
})

# The wrong answers share the checks and the search of a correct one and differ in one place.
_SEARCH = """
            low, high = 1.0, 1.0
            for _ in range(200):
                if confidence(low) >= target:
                    break
                low /= 2
            for _ in range(200):
                if confidence(high) <= target:
                    break
                high *= 2
            for _ in range(STEPS):
                middle = math.sqrt(low * high)
                if confidence(middle) > target:
                    low = middle
                else:
                    high = middle
            return math.sqrt(low * high)
"""


def _temperature(check="1 / len(logits) < target < 1 / int((logits == logits.max()).sum())",
                 confidence="torch.softmax(logits.double() / T, dim=0).max().item()",
                 search=_SEARCH, steps=60, result=None, before=""):
    body = search.replace("STEPS", str(steps))
    if result:
        body = body.replace("return math.sqrt(low * high)", f"return {result}")
    return f"""
        def temperature_for_confidence(logits, target):
            {before}
            if not ({check}):
                raise ValueError("out of reach")

            def confidence(T):
                return {confidence}
{body}"""


WRONG.update({
    "temperature: returns 1/T (a factor that multiplies the logits)":
        ("temperature_for_confidence", _temperature(result="1 / math.sqrt(low * high)")),
    "temperature: the two-class formula from the two largest logits": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            first, second = logits.double().topk(2).values
            return ((first - second) / math.log(target / (1 - target))).item()
    """),
    "temperature: searches only between 0.01 and 100": ("temperature_for_confidence", _temperature(
        search="""
            low, high = 0.01, 100.0
            for _ in range(60):
                middle = math.sqrt(low * high)
                if confidence(middle) > target:
                    low = middle
                else:
                    high = middle
            return math.sqrt(low * high)
""")),
    "temperature: only checks 0 < target < 1": ("temperature_for_confidence",
                                                _temperature(check="0 < target < 1")),
    "temperature: ignores ties (checks 1/C < target < 1)": ("temperature_for_confidence",
                                                          _temperature(check="1 / len(logits) < target < 1")),
    "temperature: too few bisection steps": ("temperature_for_confidence", _temperature(steps=6)),
    "temperature: bisects the wrong way": ("temperature_for_confidence", _temperature(
        search=_SEARCH.replace("if confidence(middle) > target:", "if confidence(middle) < target:"))),
    "temperature: matches the probability of class 0, not the largest": ("temperature_for_confidence",
        _temperature(confidence="torch.softmax(logits.double() / T, dim=0)[0].item()")),
    "temperature: naive exp in float32": ("temperature_for_confidence", _temperature(
        confidence="(torch.exp(logits.float() / T) / torch.exp(logits.float() / T).sum()).max().item()")),
    "temperature: shifts the logits in place": ("temperature_for_confidence",
                                                _temperature(before="logits -= logits.max()")),
    "temperature: no ValueError at all": ("temperature_for_confidence", _temperature(check="True")),
})

WRONG_FAILS.update({
    "temperature: returns 1/T (a factor that multiplies the logits)":
        {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: the two-class formula from the two largest logits": TEMPERATURE,
    "temperature: searches only between 0.01 and 100": {"m06_temperature_extreme"},
    "temperature: only checks 0 < target < 1": {"m06_temperature_errors"},
    "temperature: ignores ties (checks 1/C < target < 1)": {"m06_temperature_errors"},
    "temperature: too few bisection steps": {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: bisects the wrong way": {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: matches the probability of class 0, not the largest":
        {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: naive exp in float32": {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: shifts the logits in place": {"m06_temperature_basic"},
    "temperature: no ValueError at all": {"m06_temperature_errors"},
})


# A second review: more correct temperatures found in other ways, and more wrong ones.
CORRECT.update({
    "temperature pure python math.exp, bisection on log T": """
        def temperature_for_confidence(logits, target):
            import math
            z = [float(v) for v in logits.tolist()]
            top = max(z)
            k = sum(1 for v in z if v == top)
            if len(z) < 2 or not (1 / len(z) < target < 1 / k):
                raise ValueError("unreachable")
            def conf(log_t):
                t = math.exp(log_t)
                return 1 / sum(math.exp((v - top) / t) for v in z)
            lo, hi = -1.0, 1.0
            while conf(lo) < target:
                lo -= 5
            while conf(hi) > target:
                hi += 5
            for _ in range(100):
                mid = (lo + hi) / 2
                if conf(mid) > target:
                    lo = mid
                else:
                    hi = mid
            return math.exp((lo + hi) / 2)
    """,
    "temperature float32 tensors throughout, bisection on T, 0-d tensor result": """
        def temperature_for_confidence(logits, target):
            n = logits.shape[0]
            k = (logits == logits.max()).sum().item()
            if target <= 1.0 / n or target >= 1.0 / k:
                raise ValueError("target out of range")
            lo, hi = torch.tensor(1.0), torch.tensor(1.0)
            while torch.softmax(logits / lo, 0).max() < target:
                lo = lo / 10
            while torch.softmax(logits / hi, 0).max() > target:
                hi = hi * 10
            for _ in range(200):
                mid = (lo + hi) / 2
                if torch.softmax(logits / mid, 0).max() > target:
                    lo = mid
                else:
                    hi = mid
            return hi
    """,
    "temperature numpy, grid refinement on log T, numpy float64 result": """
        def temperature_for_confidence(logits, target):
            import numpy as np
            z = logits.detach().cpu().numpy().astype(np.float64)
            c, k = z.size, int(np.sum(z == z.max()))
            if not (1 / c < target < 1 / k):
                raise ValueError("no such temperature")
            def conf(u):                               # u = log T, an array; falls as u grows
                s = (z[None, :] - z.max()) / np.exp(u)[:, None]
                return 1 / np.exp(s).sum(axis=1)
            lo, hi = -1.0, 1.0
            while conf(np.array([lo]))[0] < target:
                lo -= 4
            while conf(np.array([hi]))[0] > target:
                hi += 4
            for _ in range(12):                        # 100 points a round: each round 1/100 as wide
                grid = np.linspace(lo, hi, 101)
                above = np.nonzero(conf(grid) >= target)[0]
                i = min(above[-1], 99)
                lo, hi = grid[i], grid[i + 1]
            return np.exp((lo + hi) / 2)               # a numpy float64
    """,
    "temperature scan by factors of 2, then linear interpolation in T refined": """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            top = z.max()
            ties = (z == top).sum().item()
            if z.numel() == ties or target <= 1 / z.numel() or target >= 1 / ties:
                raise ValueError("impossible target")
            conf = lambda t: (1 / torch.exp((z - top) / t).sum()).item()
            t = 1.0
            if conf(t) > target:
                while conf(2 * t) > target:
                    t *= 2
                lo, hi = t, 2 * t
            else:
                while conf(t / 2) < target:
                    t /= 2
                lo, hi = t / 2, t
            while hi - lo > 1e-12 * hi:
                mid = lo + (hi - lo) / 2
                if conf(mid) >= target:
                    lo = mid
                else:
                    hi = mid
            return lo
    """,
})

WRONG.update({
    "temperature: searches T in (0, 1000] by plain bisection": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            if not 1 / len(z) < target < 1 / int((z == z.max()).sum()):
                raise ValueError("out of reach")
            lo, hi = 0.0, 1000.0
            for _ in range(100):
                mid = (lo + hi) / 2
                if torch.softmax(z / mid, 0).max() > target:
                    lo = mid
                else:
                    hi = mid
            return (lo + hi) / 2
    """),
    "temperature: fixed lower bound 1e-6, doubles upwards": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            if not 1 / len(z) < target < 1 / int((z == z.max()).sum()):
                raise ValueError("out of reach")
            lo, hi = 1e-6, 1.0
            while torch.softmax(z / hi, 0).max() > target:
                hi *= 2
            for _ in range(100):
                mid = math.sqrt(lo * hi)
                if torch.softmax(z / mid, 0).max() > target:
                    lo = mid
                else:
                    hi = mid
            return math.sqrt(lo * hi)
    """),
    "temperature: stops within 1e-3 of the target": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            if not 1 / len(z) < target < 1 / int((z == z.max()).sum()):
                raise ValueError("out of reach")
            lo, hi = 1.0, 1.0
            while torch.softmax(z / lo, 0).max() < target:
                lo /= 2
            while torch.softmax(z / hi, 0).max() > target:
                hi *= 2
            while True:
                mid = math.sqrt(lo * hi)
                p = torch.softmax(z / mid, 0).max().item()
                if abs(p - target) < 1e-3:
                    return mid
                if p > target:
                    lo = mid
                else:
                    hi = mid
    """),
    "temperature: non-strict bounds (accepts target == 1/C and 1/k)": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            c, k = len(z), int((z == z.max()).sum())
            if target < 1 / c or target > 1 / k:
                raise ValueError("out of reach")
            lo, hi = 1.0, 1.0
            for _ in range(200):
                if torch.softmax(z / lo, 0).max() >= target:
                    break
                lo /= 2
            for _ in range(200):
                if torch.softmax(z / hi, 0).max() <= target:
                    break
                hi *= 2
            for _ in range(80):
                mid = math.sqrt(lo * hi)
                if torch.softmax(z / mid, 0).max() > target:
                    lo = mid
                else:
                    hi = mid
            return math.sqrt(lo * hi)
    """),
    "temperature: searches with z * T, returns T": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            z = logits.double()
            if not 1 / len(z) < target < 1 / int((z == z.max()).sum()):
                raise ValueError("out of reach")
            lo, hi = 1.0, 1.0
            while torch.softmax(z * hi, 0).max() < target:
                hi *= 2
            while torch.softmax(z * lo, 0).max() > target:
                lo /= 2
            for _ in range(100):
                mid = math.sqrt(lo * hi)
                if torch.softmax(z * mid, 0).max() < target:
                    lo = mid
                else:
                    hi = mid
            return math.sqrt(lo * hi)
    """),
    "temperature: clamps z / T at 80 instead of shifting": ("temperature_for_confidence", """
        def temperature_for_confidence(logits, target):
            z = logits.float()
            if not 1 / len(z) < target < 1 / int((z == z.max()).sum()):
                raise ValueError("out of reach")
            def conf(t):
                e = torch.exp((z / t).clamp(max=80))
                return (e / e.sum()).max().item()
            lo, hi = 1.0, 1.0
            for _ in range(100):
                if conf(lo) >= target: break
                lo /= 2
            for _ in range(100):
                if conf(hi) <= target: break
                hi *= 2
            for _ in range(100):
                mid = math.sqrt(lo * hi)
                if conf(mid) > target:
                    lo = mid
                else:
                    hi = mid
            return math.sqrt(lo * hi)
    """),
})

WRONG_FAILS.update({
    "temperature: searches T in (0, 1000] by plain bisection": {"m06_temperature_extreme"},
    "temperature: fixed lower bound 1e-6, doubles upwards": {"m06_temperature_extreme"},
    "temperature: stops within 1e-3 of the target": {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: non-strict bounds (accepts target == 1/C and 1/k)": {"m06_temperature_errors"},
    "temperature: searches with z * T, returns T":
        {"m06_temperature_basic", "m06_temperature_extreme"},
    "temperature: clamps z / T at 80 instead of shifting":
        {"m06_temperature_basic", "m06_temperature_extreme"},
})
