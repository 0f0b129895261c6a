"""The exercises of 13_attention_transformer, their grade cells, and the answers tests/test_exercises.py
plays through them: every correct one must pass every cell, every wrong one fail exactly its cells."""

ASSIGNMENT = "13_attention_transformer"
SDPA = {"t13_sdpa_basic", "t13_sdpa_mask", "t13_sdpa_errors", "t13_sdpa_no_builtin"}
CAUSAL = {"t13_causal_basic", "t13_causal_attention"}
SINUSOIDAL = {"t13_sinusoidal_basic", "t13_sinusoidal_long", "t13_sinusoidal_errors"}
SPLIT = {"t13_split_basic", "t13_split_errors"}
MERGE = {"t13_merge_basic", "t13_merge_inverse"}
PREVIOUS = {"t13_previous_basic", "t13_previous_sizes"}
EXERCISES = {"scaled_dot_product_attention": SDPA, "causal_mask": CAUSAL, "sinusoidal_positions": SINUSOIDAL,
             "split_heads": SPLIT, "merge_heads": MERGE, "previous_token_qk": PREVIOUS}

CORRECT = {
    "sdpa with einsum, an additive -inf mask and an explicit exp": """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = torch.einsum("...qd,...kd->...qk", q, k) * q.shape[-1] ** -0.5
            if mask is not None:
                full = mask.expand(scores.shape)
                if (~full).all(dim=-1).any():
                    raise ValueError("a query row of the mask has no True")
                scores = scores + torch.zeros_like(scores).masked_fill(~full, float("-inf"))
            e = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
            weights = e / e.sum(dim=-1, keepdim=True)
            return torch.matmul(weights, v), weights
    """,
    "sdpa with torch.where and F.softmax": """
        def scaled_dot_product_attention(q, k, v, mask=None):
            d = k.size(-1)
            scores = torch.matmul(q / math.sqrt(d), k.mT)
            if mask is not None:
                mask = mask & torch.ones_like(scores, dtype=torch.bool)
                if not mask.any(-1).all():
                    raise ValueError("every query needs at least one key to attend to")
                scores = torch.where(mask, scores, torch.tensor(float("-inf")))
            weights = F.softmax(scores, dim=-1)
            return weights @ v, weights
    """,
    "causal_mask with tril": """
        def causal_mask(n):
            return torch.tril(torch.ones(n, n, dtype=torch.bool))
    """,
    "causal_mask as not triu(1)": """
        def causal_mask(n):
            return ~torch.ones(n, n).triu(diagonal=1).bool()
    """,
    "sinusoidal with math in float64 and a loop": """
        def sinusoidal_positions(length, d_model):
            if length < 1 or d_model < 1 or d_model % 2 == 1:
                raise ValueError("bad sizes")
            P = torch.zeros(length, d_model, dtype=torch.float64)
            for i in range(d_model // 2):
                angle = torch.arange(length, dtype=torch.float64) / math.pow(10000, 2 * i / d_model)
                P[:, 2 * i] = torch.sin(angle)
                P[:, 2 * i + 1] = torch.cos(angle)
            return P.to(torch.float32)
    """,
    "sinusoidal with exp(-log) in float64 and stack": """
        def sinusoidal_positions(length, d_model):
            if min(length, d_model) < 1 or d_model % 2:
                raise ValueError("length and d_model must be >= 1 and d_model even")
            div = torch.exp(torch.arange(0, d_model, 2).double() * (-math.log(10000.0) / d_model))
            angles = torch.arange(length).double().unsqueeze(1) * div
            return torch.stack((angles.sin(), angles.cos()), dim=2).flatten(1).float()
    """,
    "split with view and permute, merge with permute and contiguous view": """
        def split_heads(x, num_heads):
            B, T, D = x.shape
            if D % num_heads != 0:
                raise ValueError("D is not divisible by num_heads")
            return x.view(B, T, num_heads, D // num_heads).permute(0, 2, 1, 3)

        def merge_heads(x):
            B, H, T, d = x.shape
            return x.permute(0, 2, 1, 3).contiguous().view(B, T, H * d)
    """,
    "split with chunk and stack, merge with unbind and cat": """
        def split_heads(x, num_heads):
            if x.shape[-1] % num_heads:
                raise ValueError("features not divisible by heads")
            return torch.stack(x.chunk(num_heads, dim=-1), dim=1)

        def merge_heads(x):
            return torch.cat(x.unbind(dim=1), dim=-1)
    """,
    "previous token with angles that turn one step per position": """
        def previous_token_qk(n, d):
            theta = torch.arange(n, dtype=torch.float64) * math.pi / n
            k = torch.zeros(n, d)
            q = torch.zeros(n, d)
            k[:, 0], k[:, 1] = theta.cos().float(), theta.sin().float()
            scale = 50 * math.sqrt(d) / (1 - math.cos(math.pi / n))
            q[:, 0] = (scale * (theta - math.pi / n).cos()).float()
            q[:, 1] = (scale * (theta - math.pi / n).sin()).float()
            return q, k
    """,
    "previous token with one-hot keys and a shifted identity": """
        def previous_token_qk(n, d):
            k = torch.zeros(n, d)
            k[range(n), range(n)] = 1.0
            shift = torch.diag(torch.ones(n - 1), -1)[:, :n]
            q = torch.cat([shift, torch.zeros(n, d - n)], dim=1) * 10 * d
            return q, k
    """,
}

WRONG = {
    "sdpa: no scaling": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1)
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores.masked_fill(~allowed, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
    """),
    "sdpa: divides by d instead of sqrt(d)": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / q.shape[-1]
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores.masked_fill(~allowed, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
    """),
    "sdpa: scales by the value's length": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / math.sqrt(v.shape[-1])
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores.masked_fill(~allowed, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
    """),
    "sdpa: softmax over the queries": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores.masked_fill(~allowed, float("-inf"))
            weights = torch.softmax(scores, dim=-2)
            return weights @ v, weights
    """),
    "sdpa: inverted mask (True = forbidden)": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores.masked_fill(allowed, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
    """),
    "sdpa: masks with 0 instead of -inf": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores * allowed
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
    """),
    "sdpa: no ValueError for an empty row": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                scores = scores.masked_fill(~mask, float("-inf"))
            weights = torch.softmax(scores, dim=-1)
            return weights @ v, weights
    """),
    "sdpa: calls F.scaled_dot_product_attention for the output": ("scaled_dot_product_attention", """
        def scaled_dot_product_attention(q, k, v, mask=None):
            scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
            if mask is not None:
                allowed = torch.broadcast_to(mask, scores.shape)
                if not allowed.any(-1).all():
                    raise ValueError("empty row")
                scores = scores.masked_fill(~allowed, float("-inf"))
            return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), torch.softmax(scores, dim=-1)
    """),
    "causal_mask: upper triangle": ("causal_mask", """
        def causal_mask(n):
            return torch.ones(n, n, dtype=torch.bool).triu()
    """),
    "causal_mask: float ones and zeros": ("causal_mask", """
        def causal_mask(n):
            return torch.tril(torch.ones(n, n))
    """),
    "causal_mask: diagonal left out": ("causal_mask", """
        def causal_mask(n):
            return torch.ones(n, n, dtype=torch.bool).tril(-1)
    """),
    "sinusoidal: angles in float32": ("sinusoidal_positions", """
        def sinusoidal_positions(length, d_model):
            if length < 1 or d_model < 1 or d_model % 2:
                raise ValueError("bad sizes")
            position = torch.arange(length, dtype=torch.float32)[:, None]
            angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float32) / d_model)
            P = torch.zeros(length, d_model)
            P[:, 0::2] = torch.sin(angles)
            P[:, 1::2] = torch.cos(angles)
            return P
    """),
    "sinusoidal: the float32 exp(-log) recipe": ("sinusoidal_positions", """
        def sinusoidal_positions(length, d_model):
            if length < 1 or d_model < 1 or d_model % 2:
                raise ValueError("bad sizes")
            div = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
            angles = torch.arange(length).float().unsqueeze(1) * div
            P = torch.zeros(length, d_model)
            P[:, 0::2] = torch.sin(angles)
            P[:, 1::2] = torch.cos(angles)
            return P
    """),
    "sinusoidal: sines then cosines, concatenated": ("sinusoidal_positions", """
        def sinusoidal_positions(length, d_model):
            if length < 1 or d_model < 1 or d_model % 2:
                raise ValueError("bad sizes")
            position = torch.arange(length, dtype=torch.float64)[:, None]
            angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
            return torch.cat([angles.sin(), angles.cos()], dim=1).float()
    """),
    "sinusoidal: exponent i / d instead of 2i / d": ("sinusoidal_positions", """
        def sinusoidal_positions(length, d_model):
            if length < 1 or d_model < 1 or d_model % 2:
                raise ValueError("bad sizes")
            position = torch.arange(length, dtype=torch.float64)[:, None]
            angles = position / 10000 ** (torch.arange(d_model // 2, dtype=torch.float64) / d_model)
            P = torch.zeros(length, d_model, dtype=torch.float64)
            P[:, 0::2] = angles.sin()
            P[:, 1::2] = angles.cos()
            return P.float()
    """),
    "sinusoidal: no check of the sizes": ("sinusoidal_positions", """
        def sinusoidal_positions(length, d_model):
            position = torch.arange(length, dtype=torch.float64)[:, None]
            angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
            P = torch.zeros(length, d_model + d_model % 2, dtype=torch.float64)
            P[:, 0::2] = angles.sin()
            P[:, 1::2] = angles.cos()
            return P[:, :d_model].float()
    """),
    "sinusoidal: returns float64": ("sinusoidal_positions", """
        def sinusoidal_positions(length, d_model):
            if length < 1 or d_model < 1 or d_model % 2:
                raise ValueError("bad sizes")
            position = torch.arange(length, dtype=torch.float64)[:, None]
            angles = position / 10000 ** (torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
            return torch.stack([angles.sin(), angles.cos()], dim=-1).reshape(length, d_model)
    """),
    "split_heads: reshapes straight to (B, H, T, d)": ("split_heads", """
        def split_heads(x, num_heads):
            B, T, D = x.shape
            if D % num_heads:
                raise ValueError("not divisible")
            return x.reshape(B, num_heads, T, D // num_heads)
    """),
    "split_heads: interleaves the heads' features": ("split_heads", """
        def split_heads(x, num_heads):
            B, T, D = x.shape
            if D % num_heads:
                raise ValueError("not divisible")
            return x.reshape(B, T, D // num_heads, num_heads).permute(0, 3, 1, 2)
    """),
    "split_heads: no divisibility check": ("split_heads", """
        def split_heads(x, num_heads):
            B, T, D = x.shape
            return x.reshape(B, T, num_heads, D // num_heads).transpose(1, 2)
    """),
    "merge_heads: reshapes without transposing back": ("merge_heads", """
        def merge_heads(x):
            B, H, T, d = x.shape
            return x.reshape(B, T, H * d)
    """),
    "merge_heads: view after transpose": ("merge_heads", """
        def merge_heads(x):
            B, H, T, d = x.shape
            return x.transpose(1, 2).view(B, T, H * d)
    """),
    "previous_token: one-hot without a large factor": ("previous_token_qk", """
        def previous_token_qk(n, d):
            k = torch.eye(n, d)
            q = torch.zeros(n, d)
            q[1:] = k[:-1]
            return q, k
    """),
    "previous_token: attends to itself": ("previous_token_qk", """
        def previous_token_qk(n, d):
            k = torch.eye(n, d)
            return k * 20 * math.sqrt(d), k
    """),
    "previous_token: a factor that ignores the sqrt(d) scaling": ("previous_token_qk", """
        def previous_token_qk(n, d):
            k = torch.eye(n, d)
            q = torch.zeros(n, d)
            q[1:] = k[:-1] * 12
            return q, k
    """),
}

WRONG_FAILS = {
    "sdpa: no scaling": {"t13_sdpa_basic", "t13_sdpa_mask", "t13_sdpa_no_builtin"},
    "sdpa: divides by d instead of sqrt(d)": {"t13_sdpa_basic", "t13_sdpa_mask", "t13_sdpa_no_builtin"},
    "sdpa: scales by the value's length": {"t13_sdpa_basic", "t13_sdpa_mask", "t13_sdpa_no_builtin"},
    "sdpa: softmax over the queries": {"t13_sdpa_basic", "t13_sdpa_mask", "t13_sdpa_no_builtin"},
    "sdpa: inverted mask (True = forbidden)": {"t13_sdpa_mask", "t13_sdpa_no_builtin"},
    "sdpa: masks with 0 instead of -inf": {"t13_sdpa_mask", "t13_sdpa_no_builtin"},
    "sdpa: no ValueError for an empty row": {"t13_sdpa_errors"},
    "sdpa: calls F.scaled_dot_product_attention for the output": {"t13_sdpa_no_builtin"},
    "causal_mask: upper triangle": CAUSAL,
    "causal_mask: float ones and zeros": CAUSAL,
    "causal_mask: diagonal left out": CAUSAL,
    "sinusoidal: angles in float32": {"t13_sinusoidal_long"},
    "sinusoidal: the float32 exp(-log) recipe": {"t13_sinusoidal_long"},
    "sinusoidal: sines then cosines, concatenated": {"t13_sinusoidal_basic", "t13_sinusoidal_long"},
    "sinusoidal: exponent i / d instead of 2i / d": {"t13_sinusoidal_basic", "t13_sinusoidal_long"},
    "sinusoidal: no check of the sizes": {"t13_sinusoidal_errors"},
    "sinusoidal: returns float64": {"t13_sinusoidal_basic"},
    "split_heads: reshapes straight to (B, H, T, d)": {"t13_split_basic"},
    "split_heads: interleaves the heads' features": {"t13_split_basic"},
    "split_heads: no divisibility check": {"t13_split_errors"},
    "merge_heads: reshapes without transposing back": MERGE,
    "merge_heads: view after transpose": {"t13_merge_basic"},
    "previous_token: one-hot without a large factor": PREVIOUS,
    "previous_token: attends to itself": PREVIOUS,
    "previous_token: a factor that ignores the sqrt(d) scaling": {"t13_previous_sizes"},
}
