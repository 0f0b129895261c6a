"""Tests of course.transformer, the tiny digit-reversing transformer of 13_attention_transformer."""

import pytest
import torch
import torch.nn.functional as F

from course.transformer import (
    MAX_LEN,
    PAD,
    VOCAB,
    TinyTransformer,
    accuracy,
    attention_maps,
    encode,
    make_batch,
    reverse_targets,
    train_reverser,
    trained_reverser,
)


def test_encode_pads_and_refuses_what_is_not_1_to_8_digits():
    assert encode("314").tolist() == [[3, 1, 4] + [PAD] * (MAX_LEN - 3)]
    assert encode([9, 0], length=3).tolist() == [[9, 0, PAD]]
    for bad in ("", "123456789", "3a"):
        with pytest.raises(ValueError):
            encode(bad)


def test_reverse_targets_reverses_the_digits_and_keeps_the_padding():
    tokens = torch.tensor([[1, 2, 3, PAD], [4, 5, 6, 7]])
    assert reverse_targets(tokens).tolist() == [[3, 2, 1, PAD], [7, 6, 5, 4]]


def test_make_batch_is_reproducible_and_pads_only_at_the_end():
    a = make_batch(50, torch.Generator().manual_seed(1))
    b = make_batch(50, torch.Generator().manual_seed(1))
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))
    tokens, targets = a
    assert tokens.shape == targets.shape == (50, MAX_LEN)
    is_pad = tokens == PAD
    assert torch.equal(is_pad, is_pad.cummax(dim=1).values)           # once padding, always padding
    assert ((~is_pad).sum(1) >= 2).all()
    assert torch.equal(targets, reverse_targets(tokens))


def test_attention_weights_are_those_of_real_multihead_attention_and_respect_the_masks():
    torch.manual_seed(0)
    model = TinyTransformer().eval()
    tokens = encode("4711")
    logits, maps = model(tokens, return_attention=True)
    assert logits.shape == (1, MAX_LEN, VOCAB) and len(maps) == 2
    for weights in maps:
        assert weights.shape == (1, 2, MAX_LEN, MAX_LEN)
        torch.testing.assert_close(weights.sum(-1), torch.ones(1, 2, MAX_LEN))
        assert (weights[..., 4:] == 0).all()                            # padding keys hidden
    _, causal = model(tokens, causal=True, return_attention=True)
    assert (causal[0][0].triu(1) == 0).all()
    _, open_maps = model(tokens, padding_mask=False, return_attention=True)
    assert (open_maps[0][..., 4:] > 0).all()
    # layer 1's weights are softmax(q k^T / sqrt(d)) of its own projections, head by head
    block = model.layers[0]
    with torch.no_grad():
        x = block.norm1(model.embed(tokens) + model.position(torch.arange(MAX_LEN)))
        q, k, _ = F.linear(x, block.attn.in_proj_weight, block.attn.in_proj_bias).chunk(3, dim=-1)
        q, k = (t.reshape(1, MAX_LEN, 2, 16).transpose(1, 2) for t in (q, k))
        scores = (q @ k.transpose(-2, -1) / 4).masked_fill((tokens == PAD)[:, None, None, :], float("-inf"))
    torch.testing.assert_close(maps[0].detach(), scores.softmax(-1))


def test_training_is_reproducible_leaves_the_global_generator_and_threads_alone(two_threads):
    state = torch.random.get_rng_state()
    first, losses = train_reverser(steps=5)
    second, _ = train_reverser(steps=5)
    assert torch.equal(torch.random.get_rng_state(), state) and torch.get_num_threads() == 2
    assert len(losses) == 5 and not first.training
    assert all(torch.equal(a, b) for a, b in zip(first.state_dict().values(), second.state_dict().values(),
                                                 strict=True))


def test_the_trained_model_reverses_new_sequences_and_is_cached():
    model, losses = trained_reverser()
    assert trained_reverser()[0] is model
    assert losses[-1] < 0.05 < losses[0]
    tokens, targets = make_batch(300, torch.Generator().manual_seed(7))
    assert accuracy(model, tokens, targets) > 0.98
    assert accuracy(model, tokens, targets, causal=True) < 0.5
    prediction, maps = attention_maps(model, encode("31415"))
    assert prediction[:5].tolist() == [5, 1, 4, 1, 3]
    assert [m.shape for m in maps] == [(2, MAX_LEN, MAX_LEN)] * 2
    # layer 2 attends to the mirror image: query i puts most weight on key 4 - i
    assert [int(maps[1][0, i].argmax()) for i in range(5)] == [4, 3, 2, 1, 0]


def test_encode_explains_a_bad_sequence_in_korean():
    """Check encode's ValueError in English by default and in Korean after use_language("ko")"""
    from course.i18n import use_language

    with pytest.raises(ValueError, match=r"^need 1 to 8 digits 0-9, got '123456789'$"):
        encode("123456789")
    use_language("ko")
    with pytest.raises(ValueError, match=r"^0-9의 숫자가 1개에서 8개 필요합니다\. 받은 값: '123456789'$"):
        encode("123456789")
