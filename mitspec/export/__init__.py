"""Getting models into mitspec: exporting Hugging Face checkpoints to ONNX (`onnx.py`)
and the exportable torch implementations of the gLMs people use (`native/`). Needs the
`export` extra (torch, transformers); scoring (mitspec.models) never imports it."""
