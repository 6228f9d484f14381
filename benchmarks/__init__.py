"""The benchmark harness: `run.py` is the runner, `figures/` holds one module per figure, and
the modules beside this one are what figures share (inputs, the DeepL test server, the
machine, the table). See README.md."""
