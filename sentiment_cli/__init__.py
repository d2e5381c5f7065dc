"""sentiment-cli: train, run and explain the classic Keras IMDB BiLSTM sentiment model.

The library API is the plain functions of the submodules; nothing here imports
TensorFlow, so ``import sentiment_cli`` stays cheap.
"""

__version__ = "0.1.0"
