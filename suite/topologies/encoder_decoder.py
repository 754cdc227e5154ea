"""Encoder-decoder (sequence-to-sequence) for unequal lengths, trained with teacher forcing.

Inputs: ``encoder_inputs`` (batch, source_steps, features) and ``decoder_inputs`` (batch,
target_steps, target_features), the targets shifted right. The encoder's final states pass
through a named ``bridge`` into the decoder; ``attention`` adds Luong (dot) or Bahdanau (additive)
attention over the encoder outputs. ``inference_models`` rebuilds the encoder and a one-step
decoder by layer name, for sampling.
"""
from __future__ import annotations

from typing import Sequence

from suite.builders import register_builder
from suite.heads import attend, check_attention, maybe_mask, output_head
from suite.keras import keras
from suite.recurrent import RecurrentSpec, recurrent_stack, state_count


@register_builder("encoder_decoder")
def build_encoder_decoder(spec: RecurrentSpec, input_shape: Sequence[int | None], output_size: int,
                          target_shape: Sequence[int | None] | None = None,
                          output_activation: str | None = "softmax", masking: bool = False,
                          attention: str | None = None) -> keras.Model:
    check_attention(attention)
    target_shape = tuple(target_shape) if target_shape else (None, output_size)
    encoder_inputs = keras.Input(shape=tuple(input_shape), name="encoder_inputs")
    decoder_inputs = keras.Input(shape=target_shape, name="decoder_inputs")
    encoded, encoder_states = recurrent_stack(maybe_mask(encoder_inputs, masking), spec, "encoder",
                                              return_sequences=True, return_state=True)
    joined = encoder_states[0] if len(encoder_states) == 1 else keras.layers.Concatenate(name="bridge_join")(encoder_states)
    decoder_spec = RecurrentSpec(**{**spec.to_dict(), "bidirectional": False})  # a decoder cannot look ahead
    initial_state = [keras.layers.Dense(spec.units, activation="tanh", name=f"bridge_{i}")(joined)
                     for i in range(state_count(decoder_spec))]
    x = recurrent_stack(decoder_inputs, decoder_spec, "decoder", return_sequences=True, initial_state=initial_state)
    if attention is not None:
        memory = keras.layers.Dense(spec.units, name="encoder_projection")(encoded)
        x = attend(x, memory, attention, "decoder")
    outputs = output_head(x, output_size, output_activation)
    return keras.Model([encoder_inputs, decoder_inputs], outputs, name="encoder_decoder")


def inference_models(model: keras.Model) -> tuple[keras.Model, keras.Model]:
    """Split a trained encoder-decoder into models for step-by-step sampling, by layer name.

    Returns ``encoder`` (``encoder_inputs`` -> ``[memory, initial_state_0, ...]``, where memory is
    the attention memory, or the encoder outputs without attention) and ``decoder_step``
    (``[decoder_step (batch, 1, features), memory, state_in_0, ...]`` -> ``[output, state_out_0, ...]``).
    Every decoder layer gets its own state; only the first starts from the bridge, as in training.
    """
    from suite.streaming import call_recurrent

    has_attention = "decoder_attention" in {layer.name for layer in model.layers}
    memory = model.get_layer("encoder_projection" if has_attention else _last_encoder_layer(model)).output
    memory = memory[0] if isinstance(memory, list) else memory  # a recurrent layer's output also lists its states
    bridges = sorted((l for l in model.layers if l.name.startswith("bridge_") and l.name != "bridge_join"),
                     key=lambda l: int(l.name.split("_")[1]))
    encoder = keras.Model(model.get_layer("encoder_inputs").output, [memory] + [b.output for b in bridges],
                          name="encoder")

    decoder_step_input = keras.Input(shape=(1,) + tuple(model.get_layer("decoder_inputs").output.shape[2:]),
                                     name="decoder_step")
    memory_input = keras.Input(shape=tuple(memory.shape[1:]), name="memory")
    state_inputs: list = []
    state_outputs: list = []
    x = decoder_step_input
    for index in range(_count_layers(model, "decoder")):
        previous = x
        recurrent = next(l for l in model.layers if l.name.startswith(f"decoder_{index}_") and hasattr(l, "cell"))
        x = call_recurrent(recurrent, (x,), {}, state_inputs, state_outputs)
        for suffix, combine in (("residual", lambda layer, y: layer([previous, y])), ("norm", lambda layer, y: layer(y))):
            name = f"decoder_{index}_{suffix}"
            if name in {layer.name for layer in model.layers}:
                x = combine(model.get_layer(name), x)
    if has_attention:
        context = model.get_layer("decoder_attention")([x, memory_input])
        x = model.get_layer("decoder_context")([x, context])
    output = model.get_layer("output")(x)
    named_states = [keras.layers.Identity(name=f"state_out_{i}")(s) for i, s in enumerate(state_outputs)]
    decoder_step = keras.Model([decoder_step_input, memory_input] + state_inputs, [output] + named_states,
                               name="decoder_step")
    return encoder, decoder_step


def _count_layers(model: keras.Model, prefix: str) -> int:
    return len({l.name.split("_")[1] for l in model.layers if l.name.startswith(f"{prefix}_") and hasattr(l, "cell")
                or l.name.startswith(f"{prefix}_") and isinstance(l, keras.layers.Bidirectional)})


def _last_encoder_layer(model: keras.Model) -> str:
    names = [l.name for l in model.layers if l.name.startswith("encoder_") and l.name != "encoder_inputs"]
    return names[-1]
