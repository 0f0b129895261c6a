"""The exercises of 09_loss_optimizers, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

import textwrap

ASSIGNMENT = "09_loss_optimizers"
MSE = {"l09_mse_basic", "l09_mse_reductions", "l09_mse_errors"}
BCE = {"l09_bce_basic", "l09_bce_extreme", "l09_bce_no_builtin"}
LINBWD = {"l09_linbwd_basic", "l09_linbwd_values", "l09_linbwd_no_autograd"}
SGD = {"l09_sgd_plain", "l09_sgd_momentum", "l09_sgd_nesterov_decay"}
ADAM = {"l09_adam_first", "l09_adam_many", "l09_adam_decay"}
EXERCISES = {"mse_loss": MSE, "bce_with_logits": BCE, "linear_backward": LINBWD,
             "sgd_step": SGD, "adam_step": ADAM}

CORRECT = {
    "mse: torch.square and a dict of reductions": """
        def mse_loss(pred, target, reduction="mean"):
            reduce = {"mean": torch.mean, "sum": torch.sum, "none": lambda t: t}
            if reduction not in reduce:
                raise ValueError("reduction")
            if pred.size() != target.size():
                raise ValueError("shapes differ")
            return reduce[reduction](torch.square(pred - target))
    """,
    "mse: F.mse_loss after the checks": """
        def mse_loss(pred, target, reduction="mean"):
            if tuple(pred.shape) != tuple(target.shape):
                raise ValueError("shape mismatch")
            if reduction not in ("none", "mean", "sum"):
                raise ValueError(reduction)
            return F.mse_loss(pred, target, reduction=reduction)
    """,
    "bce: F.softplus": """
        def bce_with_logits(logits, target):
            if logits.shape != target.shape:
                raise ValueError("shapes")
            return (F.softplus(logits) - target * logits).mean()
    """,
    "bce: F.logsigmoid of both signs": """
        def bce_with_logits(logits, target):
            if logits.shape != target.shape:
                raise ValueError("shapes")
            return -(target * F.logsigmoid(logits) + (1 - target) * F.logsigmoid(-logits)).mean()
    """,
    "linbwd: einsum": """
        def linear_backward(x, weight, grad_out):
            return (torch.einsum("no,oi->ni", grad_out, weight),
                    torch.einsum("no,ni->oi", grad_out, x), grad_out.sum(0))
    """,
    "linbwd: a loop over the batch": """
        def linear_backward(x, weight, grad_out):
            grad_weight = torch.zeros_like(weight)
            grad_bias = torch.zeros(weight.shape[0])
            for i in range(x.shape[0]):
                grad_weight += torch.outer(grad_out[i], x[i])
                grad_bias += grad_out[i]
            return torch.matmul(grad_out, weight), grad_weight, grad_bias
    """,
    "sgd: explicit branches": """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            if nesterov and not momentum:
                raise ValueError("nesterov needs momentum")
            d = grad.add(param, alpha=weight_decay) if weight_decay else grad
            if not momentum:
                return param.sub(d, alpha=lr), None
            if buf is None:
                new_buf = d.detach().clone()
            else:
                new_buf = buf.mul(momentum).add(d)
            if nesterov:
                d = d.add(new_buf, alpha=momentum)
            else:
                d = new_buf
            return param.sub(d, alpha=lr), new_buf
    """,
    "sgd: through torch.optim.SGD on a copy": """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            p = param.detach().clone().requires_grad_(True)
            opt = torch.optim.SGD([p], lr=lr, momentum=momentum, weight_decay=weight_decay,
                                  nesterov=nesterov)
            if buf is not None:
                opt.state[p]["momentum_buffer"] = buf.clone()
            p.grad = grad.clone()
            opt.step()
            new_buf = opt.state[p].get("momentum_buffer")
            return p.detach(), (None if momentum == 0 else new_buf)
    """,
    "adam: lerp and a folded step size": """
        import math

        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            b1, b2 = betas
            if weight_decay:
                grad = grad + weight_decay * param
            m = torch.lerp(exp_avg, grad, 1 - b1)
            v = exp_avg_sq * b2 + (1 - b2) * grad.square()
            step_size = lr / (1 - b1 ** step)
            denom = v.sqrt() / math.sqrt(1 - b2 ** step) + eps
            return param - step_size * m / denom, m, v
    """,
    "adam: torch.addcdiv": """
        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            g = grad.add(param, alpha=weight_decay)
            m = exp_avg.mul(betas[0]).add(g, alpha=1 - betas[0])
            v = exp_avg_sq.mul(betas[1]).addcmul(g, g, value=1 - betas[1])
            denom = (v / (1 - betas[1] ** step)).sqrt().add(eps)
            return torch.addcdiv(param, m, denom, value=-lr / (1 - betas[0] ** step)), m, v
    """,
}


def _mse(body, check="if pred.shape != target.shape:\n        raise ValueError('shapes')"):
    """An mse_loss with the given shape check and body."""
    return ("def mse_loss(pred, target, reduction='mean'):\n    " + check + "\n    "
            + textwrap.dedent(body).strip().replace("\n", "\n    ") + "\n")


WRONG = {
    "mse: ignores reduction": ("mse_loss", _mse("""
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(reduction)
        return ((pred - target) ** 2).mean()
    """)),
    "mse: square root (RMSE)": ("mse_loss", _mse("""
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(reduction)
        sq = (pred - target) ** 2
        return {"mean": sq.mean().sqrt(), "sum": sq.sum(), "none": sq}[reduction]
    """)),
    "mse: no shape check, broadcasts": ("mse_loss", _mse("""
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(reduction)
        sq = (pred - target) ** 2
        return {"mean": sq.mean(), "sum": sq.sum(), "none": sq}[reduction]
    """, check="pass")),
    "mse: absolute difference": ("mse_loss", _mse("""
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(reduction)
        sq = (pred - target).abs()
        return {"mean": sq.mean(), "sum": sq.sum(), "none": sq}[reduction]
    """)),
    "bce: log of sigmoid": ("bce_with_logits", """
        def bce_with_logits(logits, target):
            if logits.shape != target.shape:
                raise ValueError("shapes")
            s = torch.sigmoid(logits)
            return -(target * torch.log(s) + (1 - target) * torch.log(1 - s)).mean()
    """),
    "bce: log1p(exp(-z)) overflows for negative z": ("bce_with_logits", """
        def bce_with_logits(logits, target):
            if logits.shape != target.shape:
                raise ValueError("shapes")
            return (torch.log1p(torch.exp(-logits)) + (1 - target) * logits).mean()
    """),
    "bce: sum instead of mean": ("bce_with_logits", """
        def bce_with_logits(logits, target):
            if logits.shape != target.shape:
                raise ValueError("shapes")
            return (F.softplus(logits) - target * logits).sum()
    """),
    "bce: calls the builtin": ("bce_with_logits", """
        def bce_with_logits(logits, target):
            if logits.shape != target.shape:
                raise ValueError("shapes")
            return F.binary_cross_entropy_with_logits(logits, target)
    """),
    "bce: no shape check": ("bce_with_logits", """
        def bce_with_logits(logits, target):
            return (F.softplus(logits) - target * logits).mean()
    """),
    "linbwd: grad_weight transposed": ("linear_backward", """
        def linear_backward(x, weight, grad_out):
            return grad_out @ weight, x.T @ grad_out, grad_out.sum(0)
    """),
    "linbwd: bias gradient averaged": ("linear_backward", """
        def linear_backward(x, weight, grad_out):
            return grad_out @ weight, grad_out.T @ x, grad_out.mean(0)
    """),
    "linbwd: through autograd": ("linear_backward", """
        def linear_backward(x, weight, grad_out):
            x = x.clone().requires_grad_(True)
            w = weight.clone().requires_grad_(True)
            b = torch.zeros(weight.shape[0], requires_grad=True)
            ((x @ w.T + b) * grad_out).sum().backward()
            return x.grad, w.grad, b.grad
    """),
    "sgd: dampened buffer (1 - momentum) * grad": ("sgd_step", """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            if nesterov and momentum == 0:
                raise ValueError("nesterov")
            d = grad + weight_decay * param
            if momentum == 0:
                return param - lr * d, None
            prev = torch.zeros_like(d) if buf is None else buf
            new_buf = momentum * prev + (1 - momentum) * d
            d = d + momentum * new_buf if nesterov else new_buf
            return param - lr * d, new_buf
    """),
    "sgd: Nesterov ignored": ("sgd_step", """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            if nesterov and momentum == 0:
                raise ValueError("nesterov")
            d = grad + weight_decay * param
            if momentum == 0:
                return param - lr * d, None
            new_buf = d.clone() if buf is None else momentum * buf + d
            return param - lr * new_buf, new_buf
    """),
    "sgd: weight decay added after the momentum": ("sgd_step", """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            if nesterov and momentum == 0:
                raise ValueError("nesterov")
            d = grad
            if momentum != 0:
                new_buf = d.clone() if buf is None else momentum * buf + d
                d = d + momentum * new_buf if nesterov else new_buf
            else:
                new_buf = None
            return param - lr * (d + weight_decay * param), new_buf
    """),
    "sgd: returns a zero buffer without momentum": ("sgd_step", """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            if nesterov and momentum == 0:
                raise ValueError("nesterov")
            d = grad + weight_decay * param
            new_buf = d.clone() if buf is None else momentum * buf + d
            if momentum != 0:
                d = d + momentum * new_buf if nesterov else new_buf
            return param - lr * d, new_buf
    """),
    "sgd: modifies param in place": ("sgd_step", """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            if nesterov and momentum == 0:
                raise ValueError("nesterov")
            d = grad + weight_decay * param
            new_buf = None
            if momentum != 0:
                new_buf = d.clone() if buf is None else momentum * buf + d
                d = d + momentum * new_buf if nesterov else new_buf
            return param.sub_(lr * d), new_buf
    """),
    "sgd: no ValueError for Nesterov without momentum": ("sgd_step", """
        def sgd_step(param, grad, lr, momentum=0.0, buf=None, weight_decay=0.0, nesterov=False):
            d = grad + weight_decay * param
            new_buf = None
            if momentum != 0:
                new_buf = d.clone() if buf is None else momentum * buf + d
                d = d + momentum * new_buf if nesterov else new_buf
            return param - lr * d, new_buf
    """),
    "adam: no bias correction": ("adam_step", """
        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            g = grad + weight_decay * param
            m = betas[0] * exp_avg + (1 - betas[0]) * g
            v = betas[1] * exp_avg_sq + (1 - betas[1]) * g * g
            return param - lr * m / (v.sqrt() + eps), m, v
    """),
    "adam: eps inside the square root": ("adam_step", """
        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            g = grad + weight_decay * param
            m = betas[0] * exp_avg + (1 - betas[0]) * g
            v = betas[1] * exp_avg_sq + (1 - betas[1]) * g * g
            m_hat, v_hat = m / (1 - betas[0] ** step), v / (1 - betas[1] ** step)
            return param - lr * m_hat / (v_hat + eps).sqrt(), m, v
    """),
    "adam: eps before the bias correction": ("adam_step", """
        import math

        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            g = grad + weight_decay * param
            m = betas[0] * exp_avg + (1 - betas[0]) * g
            v = betas[1] * exp_avg_sq + (1 - betas[1]) * g * g
            denom = (v.sqrt() + eps) / math.sqrt(1 - betas[1] ** step)
            return param - lr / (1 - betas[0] ** step) * m / denom, m, v
    """),
    "adam: decoupled weight decay (AdamW)": ("adam_step", """
        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            p = param * (1 - lr * weight_decay)
            m = betas[0] * exp_avg + (1 - betas[0]) * grad
            v = betas[1] * exp_avg_sq + (1 - betas[1]) * grad * grad
            m_hat, v_hat = m / (1 - betas[0] ** step), v / (1 - betas[1] ** step)
            return p - lr * m_hat / (v_hat.sqrt() + eps), m, v
    """),
    "adam: updates the averages in place": ("adam_step", """
        def adam_step(param, grad, exp_avg, exp_avg_sq, step, lr=1e-3, betas=(0.9, 0.999), eps=1e-8,
                      weight_decay=0.0):
            g = grad + weight_decay * param
            m = exp_avg.mul_(betas[0]).add_((1 - betas[0]) * g)
            v = exp_avg_sq.mul_(betas[1]).add_((1 - betas[1]) * g * g)
            m_hat, v_hat = m / (1 - betas[0] ** step), v / (1 - betas[1] ** step)
            return param - lr * m_hat / (v_hat.sqrt() + eps), m, v
    """),
}

WRONG_FAILS = {
    "mse: ignores reduction": {"l09_mse_errors", "l09_mse_reductions"},
    "mse: square root (RMSE)": {"l09_mse_basic", "l09_mse_reductions"},
    "mse: no shape check, broadcasts": {"l09_mse_errors"},
    "mse: absolute difference": {"l09_mse_basic", "l09_mse_reductions"},
    "bce: log of sigmoid": {"l09_bce_extreme"},
    "bce: log1p(exp(-z)) overflows for negative z": {"l09_bce_extreme"},
    "bce: sum instead of mean": {"l09_bce_basic", "l09_bce_extreme", "l09_bce_no_builtin"},
    "bce: calls the builtin": {"l09_bce_no_builtin"},
    "bce: no shape check": {"l09_bce_no_builtin"},
    "linbwd: grad_weight transposed": {"l09_linbwd_basic", "l09_linbwd_values"},
    "linbwd: bias gradient averaged": {"l09_linbwd_basic", "l09_linbwd_no_autograd", "l09_linbwd_values"},
    "linbwd: through autograd": {"l09_linbwd_no_autograd"},
    "sgd: dampened buffer (1 - momentum) * grad": {"l09_sgd_momentum", "l09_sgd_nesterov_decay"},
    "sgd: Nesterov ignored": {"l09_sgd_nesterov_decay"},
    "sgd: weight decay added after the momentum": {"l09_sgd_nesterov_decay"},
    "sgd: returns a zero buffer without momentum": {"l09_sgd_plain"},
    "sgd: modifies param in place": {"l09_sgd_momentum", "l09_sgd_plain"},
    "sgd: no ValueError for Nesterov without momentum": {"l09_sgd_nesterov_decay"},
    "adam: no bias correction": {"l09_adam_decay", "l09_adam_first", "l09_adam_many"},
    "adam: eps inside the square root": {"l09_adam_decay", "l09_adam_first", "l09_adam_many"},
    "adam: eps before the bias correction": {"l09_adam_decay", "l09_adam_many"},
    "adam: decoupled weight decay (AdamW)": {"l09_adam_decay"},
    "adam: updates the averages in place": {"l09_adam_many"},
}
