"""SequenceGenerator: the stream layout of stateful training, the carried state, the losses,
scores against a direct computation, sampling on the streaming step, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import grukit
from grukit.data import GrukitDataError
from grukit.tasks.generator import SequenceGenerator
from grukit.tasks.generator_data import EOS, read_corpus
from grukit.tasks.generator_networks import GeneratorNetwork, frames_loss, tokens_loss
from grukit.tasks.generator_prep import IGNORE, music_pairs, stream_pairs
from grukit.tasks.generator_sampling import choose_token
from grukit.train import TrainConfig

TEXT = ["the cat sat on the mat\n", "the dog sat on the log\n"] * 30


def _config(epochs: int = 3, batch_size: int = 4) -> TrainConfig:
    return TrainConfig(epochs=epochs, batch_size=batch_size, learning_rate=1e-2, patience=None)


def _char_model(**options) -> SequenceGenerator:
    params = dict(level="char", hidden_size=24, num_layers=1, bptt=12, verbose=False)
    params.update(options)
    params.setdefault("train_config", _config())
    return SequenceGenerator(**params).fit(TEXT)


@pytest.fixture(scope="module")
def char_model() -> SequenceGenerator:
    torch.set_num_threads(1)
    return _char_model(train_config=_config(epochs=6))


# -- the training arrays -------------------------------------------------------------------------
@pytest.mark.parametrize("length,streams,bptt", [(2, 1, 1), (10, 3, 4), (101, 4, 7), (9, 8, 3)])
def test_stream_pairs_cover_every_next_token_once_in_carried_rows(length, streams, bptt):
    ids = np.arange(1, length + 1, dtype=np.int64)
    inputs, targets = stream_pairs(ids, streams, bptt)
    assert inputs.shape == targets.shape and inputs.shape[1] == bptt
    assert len(inputs) % streams == 0
    # row r of the stream is rows r, r + streams, r + 2*streams, ... of the pairs, in order
    rows_in = inputs.reshape(-1, streams, bptt).transpose(1, 0, 2).reshape(streams, -1)
    rows_out = targets.reshape(-1, streams, bptt).transpose(1, 0, 2).reshape(streams, -1)
    real = rows_out != IGNORE
    np.testing.assert_array_equal(rows_out[real], rows_in[real] + 1)  # each target is the next
    assert sorted(rows_in[real].tolist()) == list(range(1, length))
    for row_in, row_real in zip(rows_in, real, strict=True):
        np.testing.assert_array_equal(np.diff(row_in[row_real]), 1)  # contiguous in each row
        assert not row_real[np.argmin(row_real) :].any() or row_real.all()  # padding at the end
    assert (inputs[targets == IGNORE] == 0).all()


def test_stream_pairs_refuse_a_stream_with_nothing_to_predict():
    with pytest.raises(GrukitDataError, match="no next token"):
        stream_pairs(np.array([3]), 2, 4)


def test_music_pairs_shift_by_one_frame_and_mark_the_real_steps():
    a = np.eye(88, dtype=np.uint8)[:3]
    b = np.eye(88, dtype=np.uint8)[10:15]
    inputs, targets = music_pairs([a, b])
    assert inputs.shape == (2, 4, 89) and targets.shape == (2, 4, 88)
    np.testing.assert_array_equal(inputs[0, :2, :88], a[:2])
    np.testing.assert_array_equal(targets[0, :2], a[1:])
    np.testing.assert_array_equal(inputs[:, :, 88], [[1, 1, 0, 0], [1, 1, 1, 1]])
    assert (targets[0, 2:] == IGNORE).all()


# -- the network ---------------------------------------------------------------------------------
def test_the_carried_state_makes_chunks_equal_the_whole_stream():
    torch.manual_seed(0)
    network = GeneratorNetwork(kind="tokens", size=11, hidden_size=8, num_layers=2,
                               embedding_dim=8, tie_weights=True, stateful=True).eval()  # fmt: skip
    ids = torch.randint(1, 11, (3, 20))
    with torch.no_grad():
        whole, _ = network.run(ids)
        parts = [network(ids[:, :7]), network(ids[:, 7:14]), network(ids[:, 14:])]
    torch.testing.assert_close(torch.cat(parts, dim=1), whole)
    network.eval()  # eval()/train() forget the carried state
    with torch.no_grad():
        torch.testing.assert_close(network(ids[:, 7:14]), network.run(ids[:, 7:14])[0])
    assert network.decoder.weight is network.embedding.weight


def test_untied_network_with_a_projection_and_music_network_shapes():
    tied = GeneratorNetwork(kind="tokens", size=7, hidden_size=6, embedding_dim=4,
                            tie_weights=True)  # fmt: skip
    assert tied.projection is not None and tied(torch.ones(2, 3, dtype=torch.long)).shape == (
        2, 3, 7,
    )  # fmt: skip
    music = GeneratorNetwork(kind="frames", size=88, hidden_size=5)
    x = torch.zeros(2, 9, 89)
    x[0, :4, 88] = 1
    x[1, :6, 88] = 1
    assert music(x).shape == (2, 6, 88)  # trimmed to the longest real row
    with pytest.raises(ValueError, match="tied weights need token inputs"):
        GeneratorNetwork(kind="frames", size=88, hidden_size=5, tie_weights=True)


def test_mixed_precision_rounds_the_output_layer_in_training_only():
    torch.manual_seed(0)
    options = dict(kind="tokens", size=300, hidden_size=16, embedding_dim=16, tie_weights=True,
                   dropout=0.0)  # fmt: skip
    plain, mixed = GeneratorNetwork(**options), GeneratorNetwork(**options, mixed_precision=True)
    mixed.load_state_dict(plain.state_dict())
    x = torch.randint(0, 300, (3, 5))
    for network in (plain, mixed):
        network.eval()
    with torch.no_grad():
        assert torch.equal(mixed(x), plain(x))  # evaluation (and sampling) stay float32
    for network in (plain, mixed):
        network.train()
    exact, rounded = plain(x), mixed(x)
    assert rounded.dtype == torch.float32 and rounded.requires_grad
    error = (rounded - exact).abs().max().item()
    assert 0 < error <= 2**-7 * exact.abs().max().item()  # bfloat16's 8-bit significand
    tokens_loss(rounded, x).backward()
    assert mixed.embedding.weight.grad is not None
    assert torch.isfinite(mixed.embedding.weight.grad).all()


@pytest.mark.parametrize("tied", [True, False])
def test_token_networks_start_with_small_embedding_and_output_weights(tied):
    torch.manual_seed(0)
    network = GeneratorNetwork(kind="tokens", size=500, hidden_size=32, embedding_dim=32,
                               tie_weights=tied)  # fmt: skip
    for weight in (network.embedding.weight, network.decoder.weight):
        assert weight.abs().max().item() <= 0.1 and weight.std().item() > 0.05  # U(-0.1, 0.1)
    assert torch.count_nonzero(network.decoder.bias) == 0
    with torch.no_grad():
        logits = network.eval()(torch.randint(0, 500, (4, 6)))
    assert logits.std().item() < 0.5  # nn.Embedding's unit normal, tied, gives about sqrt(32)


def test_music_input_dropout_is_apart_from_dropout_and_refused_for_tokens():
    both = GeneratorNetwork(kind="frames", size=88, hidden_size=5, dropout=0.5)
    apart = GeneratorNetwork(kind="frames", size=88, hidden_size=5, dropout=0.5,
                             input_dropout=0.2)  # fmt: skip
    assert (both.input_dropout.p, apart.input_dropout.p) == (0.5, 0.2)
    assert apart.output_dropout.p == 0.5
    with pytest.raises(ValueError, match="input_dropout is for level='music'"):
        SequenceGenerator(level="char", input_dropout=0.1)
    with pytest.raises(ValueError, match="input_dropout"):
        SequenceGenerator(level="music", input_dropout=1.5)


def test_losses_ignore_padding_and_average_per_token_and_per_frame():
    logits = torch.randn(2, 3, 5)
    targets = torch.tensor([[1, 2, IGNORE], [4, IGNORE, IGNORE]])
    manual = -(
        F.log_softmax(logits[0, 0], -1)[1] + F.log_softmax(logits[0, 1], -1)[2]
        + F.log_softmax(logits[1, 0], -1)[4]
    ) / 3  # fmt: skip
    torch.testing.assert_close(tokens_loss(logits, targets), manual)
    frame_logits = torch.randn(1, 2, 88)
    frame_targets = torch.full((1, 4, 88), float(IGNORE))
    frame_targets[0, 0] = (torch.arange(88) % 3 == 0).float()
    expected = F.binary_cross_entropy_with_logits(
        frame_logits[0, 0], frame_targets[0, 0], reduction="sum"
    )
    torch.testing.assert_close(frames_loss(frame_logits, frame_targets), expected)


# -- fitting, scores and sampling ---------------------------------------------------------------
def test_a_char_model_beats_the_unigram_baseline(char_model):
    scores = char_model.evaluate(TEXT)
    assert scores["beats_baseline"] is True
    assert scores["model"]["perplexity"] < 0.5 * scores["baseline"]["perplexity"]
    assert scores["model"]["tokens"] == sum(len(t) for t in TEXT) - 1
    assert char_model.score(TEXT) == pytest.approx(-scores["model"]["cross_entropy"])


def test_a_mixed_precision_char_model_beats_the_unigram_baseline_too():
    model = _char_model(mixed_precision=True, train_config=_config(epochs=6))
    assert model.network_.mixed_precision and model.evaluate(TEXT)["beats_baseline"] is True


def test_the_stream_score_equals_a_direct_computation(char_model):
    scores = char_model.evaluate(TEXT[:3])
    ids = torch.as_tensor(char_model._prep.stream(read_corpus(TEXT[:3], "char")))
    with torch.no_grad():
        logits, _ = char_model.network_.eval().run(ids[None, :-1])
    direct = F.cross_entropy(logits[0].double(), ids[1:], reduction="sum").item()
    assert scores["model"]["cross_entropy"] == pytest.approx(direct / (len(ids) - 1), rel=1e-9)
    assert scores["model"]["bits_per_token"] == pytest.approx(
        scores["model"]["cross_entropy"] / np.log(2)
    )


def test_sampling_is_reproducible_with_a_seed(char_model):
    first = char_model.sample(80, prompt="the ", temperature=0.8, seed=3)
    assert first == char_model.sample(80, prompt="the ", temperature=0.8, seed=3)
    assert len(first) == 80 and set(first) <= set("".join(TEXT))
    others = {char_model.sample(80, prompt="the ", temperature=1.5, seed=s) for s in range(4)}
    assert len(others) > 1


def test_streaming_greedy_sampling_equals_rerunning_the_prefix(char_model):
    prompt = "the d"
    streamed = char_model.sample(15, prompt=prompt, top_k=1, seed=0)
    vocabulary = char_model.vocabulary_
    ids = vocabulary.encode(list(prompt))
    network = char_model.network_.eval()
    with torch.no_grad():
        for _ in range(15):  # the whole prefix each time: what the streaming step avoids
            logits, _ = network.run(torch.tensor([ids]))
            scores = logits[0, -1].clone()
            scores[0] = -float("inf")
            ids.append(int(scores.argmax()))
    assert streamed == "".join(vocabulary.decode(ids[len(prompt) :]))


def test_choose_token_top_k_top_p_and_never_padding():
    rng = np.random.default_rng(0)
    logits = np.array([10.0, 1.0, 3.0, 2.0])
    assert {choose_token(logits, rng, 1.0, 1, None) for _ in range(20)} == {2}
    assert {choose_token(logits, rng, 1.0, None, 0.01) for _ in range(20)} == {2}
    assert {choose_token(logits, rng, 1.0, 2, None) for _ in range(200)} == {2, 3}
    assert 0 not in {choose_token(logits, rng, 5.0, None, None) for _ in range(200)}


def test_saved_model_samples_the_same(char_model, tmp_path):
    char_model.save(tmp_path / "model")
    loaded = grukit.load(tmp_path / "model")
    assert loaded.sample(40, prompt="the", seed=1) == char_model.sample(40, prompt="the", seed=1)
    assert loaded.evaluate(TEXT[:4]) == char_model.evaluate(TEXT[:4])


def test_word_level_reads_lines_with_eos_and_samples_lines():
    corpus = read_corpus(["a b\nc", "d"], "word")
    assert corpus.documents == [["a", "b", EOS, "c", EOS], ["d", EOS]]
    model = SequenceGenerator(level="word", hidden_size=16, num_layers=1, bptt=6,
                              train_config=_config(), verbose=False).fit(TEXT)  # fmt: skip
    text = model.sample(30, seed=0)
    assert set(text.split()) <= {"the", "cat", "dog", "sat", "on", "mat", "log"}
    assert model.evaluate(TEXT)["model"]["unknown_rate"] == 0.0


def test_note_level_learns_melodies_from_pitch_lists():
    melody = [60, 62, 64, -1, 65, 67] * 10
    model = SequenceGenerator(
        level="note",
        hidden_size=16,
        num_layers=1,
        bptt=8,
        train_config=_config(epochs=4),
        verbose=False,
    ).fit([melody] * 4)
    notes = model.sample(12, prompt=[60, 62], seed=0)
    assert len(notes) == 12 and set(notes) <= {60, 62, 64, -1, 65, 67}


def test_music_model_on_piano_rolls_scores_and_samples():
    rng = np.random.default_rng(0)
    rolls = [(rng.random((20, 88)) < 0.05).astype(np.uint8) for _ in range(6)]
    model = SequenceGenerator(
        level="music",
        hidden_size=16,
        num_layers=1,
        input_dropout=0.1,
        train_config=_config(epochs=3, batch_size=2),
        verbose=False,
    )
    model.fit(rolls[:4], rolls[4:])
    assert (model.network_.input_dropout.p, model.network_.output_dropout.p) == (0.1, 0.2)
    scores = model.evaluate(rolls[4:])
    assert scores["model"]["frames"] == 2 * 19
    assert 0.0 <= scores["model"]["frame_accuracy"] <= 1.0
    roll = model.sample(16, seed=2)
    assert roll.shape == (16, 88) and roll.dtype == np.uint8
    np.testing.assert_array_equal(roll, model.sample(16, seed=2))
    np.testing.assert_array_equal(roll, model.sample(16, prompt=np.zeros((1, 88)), seed=2))
    with pytest.raises(ValueError, match="top_k` and `top_p` apply to tokens"):
        model.sample(4, top_k=3)


# -- errors -------------------------------------------------------------------------------------
def test_bad_inputs_get_one_clear_line(char_model, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    with pytest.raises(GrukitDataError, match="is empty"):
        SequenceGenerator(verbose=False).fit(empty)
    with pytest.raises(GrukitDataError, match="does not exist"):
        SequenceGenerator(verbose=False).fit(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="characters the model never saw: 'QZ'"):
        char_model.sample(5, prompt="Zat Q")
    with pytest.raises(ValueError, match="temperature"):
        char_model.sample(5, temperature=0)
    with pytest.raises(ValueError, match="top_p"):
        char_model.sample(5, top_p=1.5)
    with pytest.raises(ValueError, match="level"):
        SequenceGenerator(level="bytes")
    with pytest.raises(GrukitDataError, match="expected a \\(frames, 88\\) piano roll"):
        read_corpus([np.zeros((4, 12))], "music")
    with pytest.raises(GrukitDataError, match="expected a MIDI pitch 0..127"):
        read_corpus([[60, 200]], "note")
