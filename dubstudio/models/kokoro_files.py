"""Names inside the Kokoro pack that the engine reads and the install-time rewrite writes: apart from
`kokoro_graph`, so loading the engine does not import onnx (1.5 s) for a rewrite it never runs."""

#: the int8 graph of the Kokoro pack, which the float model is built from
INT8_MODEL = "kokoro-v1.0.int8.onnx"
#: per-phoneme durations in frames at speed 1.0, before the model divides them by `speed` and
#: rounds them: exposed by the float model so the engine knows a take's true speed
DURATIONS_TENSOR = "/encoder/predictor/ReduceSum_output_0"
