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
