"""The one model type the analysis functions take: a TransformerLens 4 `TransformerBridge` (the zoo's models,
the grokking models and MiniLM are all bridges). Annotating with it lets the tests' beartype hook check it."""

from transformer_lens import TransformerBridge

Model = TransformerBridge
