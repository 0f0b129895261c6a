"""Helpers for 13_attention_transformer: a tiny transformer that learns to reverse digit sequences.

The task: a sequence of 2 to ``MAX_LEN`` digits, padded with the token ``PAD`` up to ``MAX_LEN``,
must come out reversed (``3 1 4`` → ``4 1 3``), padding left where it was. The model is an
encoder-only transformer of two layers with two heads each, small enough to train in a few
seconds on one CPU thread with a fixed seed. ``attention_maps`` returns the attention weights of
every layer and head, for the notebook's pictures and for ``attention_explorer``.
"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F
from torch import nn

from course.i18n import gettext

__all__ = ["MAX_LEN", "PAD", "VOCAB", "TinyTransformer", "accuracy", "attention_maps", "encode",
           "make_batch", "reverse_targets", "train_reverser", "trained_reverser"]

PAD = 10          # the padding token; the digits are 0..9
VOCAB = 11
MAX_LEN = 8


def encode(digits: str | list[int], length: int = MAX_LEN) -> torch.Tensor:
    """Token ids (1, length) of a digit string such as ``"3141"``, padded with ``PAD``."""
    values = [int(c) for c in digits] if isinstance(digits, str) else [int(c) for c in digits]
    if not 1 <= len(values) <= length or any(not 0 <= v <= 9 for v in values):
        raise ValueError(gettext("need 1 to {length} digits 0-9, got {digits}").format(
            length=length, digits=repr(digits)))
    return torch.tensor([values + [PAD] * (length - len(values))])


def reverse_targets(tokens: torch.Tensor) -> torch.Tensor:
    """The reversed digits of each row of ``tokens`` (B, T), padding kept at the end."""
    out = torch.full_like(tokens, PAD)
    for row, seq in enumerate(tokens.tolist()):
        digits = [t for t in seq if t != PAD]
        out[row, :len(digits)] = torch.tensor(digits[::-1], dtype=tokens.dtype)
    return out


def make_batch(n: int, generator: torch.Generator, min_len: int = 2,
               max_len: int = MAX_LEN) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random digit sequences of random lengths, padded: ``(tokens, targets)``, both (n, max_len)."""
    tokens = torch.randint(0, 10, (n, max_len), generator=generator)
    lengths = torch.randint(min_len, max_len + 1, (n, 1), generator=generator)
    tokens = tokens.masked_fill(torch.arange(max_len) >= lengths, PAD)
    return tokens, reverse_targets(tokens)


class _Block(nn.Module):
    """Pre-norm transformer encoder layer: self-attention, then a feed-forward network."""

    def __init__(self, d_model: int, num_heads: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(d_model)
        self.attn = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.norm2 = nn.LayerNorm(d_model)
        self.ff = nn.Sequential(nn.Linear(d_model, 2 * d_model), nn.ReLU(), nn.Linear(2 * d_model, d_model))

    def forward(self, x, key_padding_mask, attn_mask):
        h = self.norm1(x)
        out, weights = self.attn(h, h, h, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                                 need_weights=True, average_attn_weights=False)
        x = x + out
        return x + self.ff(self.norm2(x)), weights


class TinyTransformer(nn.Module):
    """Token and learned position embeddings, ``num_layers`` encoder layers, a linear read-out."""

    def __init__(self, d_model: int = 32, num_heads: int = 2, num_layers: int = 2, max_len: int = MAX_LEN):
        super().__init__()
        self.embed = nn.Embedding(VOCAB, d_model)
        self.position = nn.Embedding(max_len, d_model)
        self.layers = nn.ModuleList(_Block(d_model, num_heads) for _ in range(num_layers))
        self.norm = nn.LayerNorm(d_model)
        self.out = nn.Linear(d_model, VOCAB)

    def forward(self, tokens: torch.Tensor, padding_mask: bool = True, causal: bool = False,
                return_attention: bool = False):
        """Logits (B, T, VOCAB); with ``return_attention`` also a list of (B, heads, T, T) weights
        per layer. ``padding_mask`` hides the PAD keys; ``causal`` hides every later key."""
        t = tokens.shape[1]
        x = self.embed(tokens) + self.position(torch.arange(t))
        key_padding = (tokens == PAD) if padding_mask else None          # True = may NOT attend
        attn_mask = torch.ones(t, t, dtype=torch.bool).triu(1) if causal else None
        maps = []
        for layer in self.layers:
            x, weights = layer(x, key_padding, attn_mask)
            maps.append(weights)
        logits = self.out(self.norm(x))
        return (logits, maps) if return_attention else logits


def accuracy(model: nn.Module, tokens: torch.Tensor, targets: torch.Tensor, **options) -> float:
    """Share of non-padding positions where the model's most likely token is the target."""
    with torch.no_grad():
        guess = model(tokens, **options).argmax(-1)
    keep = targets != PAD
    return (guess[keep] == targets[keep]).float().mean().item()


def train_reverser(steps: int = 150, seed: int = 0, batch: int = 64,
                   lr: float = 5e-3) -> tuple[TinyTransformer, list[float]]:
    """Train a fresh ``TinyTransformer`` to reverse digit sequences with Adam and cross-entropy
    on the non-padding positions; return the model (in eval mode) and the loss of every step.

    It runs on one thread, and ``seed`` fixes the initial weights and the data, so the same
    arguments give the same model; PyTorch's global random generator is left as it was."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)          # tiny tensors: a second thread only waits for the first
    try:
        with torch.random.fork_rng(devices=[]):   # the global generator is left as it was
            return _train(steps, seed, batch, lr)
    finally:
        torch.set_num_threads(threads)


def _train(steps: int, seed: int, batch: int, lr: float) -> tuple[TinyTransformer, list[float]]:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = TinyTransformer()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(steps):
        tokens, targets = make_batch(batch, generator)
        logits = model(tokens)
        loss = F.cross_entropy(logits.reshape(-1, VOCAB), targets.reshape(-1), ignore_index=PAD)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return model.eval(), losses


@functools.lru_cache(maxsize=1)
def trained_reverser() -> tuple[TinyTransformer, list[float]]:
    """What ``train_reverser()`` returns with its defaults, ``(model, losses)``, trained once and
    then cached: every later call returns the same model."""
    return train_reverser()


def attention_maps(model: TinyTransformer, tokens: torch.Tensor, padding_mask: bool = True,
                   causal: bool = False) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """``(prediction, maps)`` for one sequence ``tokens`` (1, T): the most likely token at every
    position (T,) and, per layer, the attention weights (heads, T, T), row = query, column = key."""
    with torch.no_grad():
        logits, maps = model(tokens, padding_mask=padding_mask, causal=causal, return_attention=True)
    return logits[0].argmax(-1), [m[0] for m in maps]
