"""Example-based single-image SR: Zeyde sparse coding, ANR and A+ (pure NumPy/SciPy/Numba).

Learned offline from LR/HR patch pairs (T91 in the papers) with no backpropagation:

- :func:`pretrained` / :func:`upscale`: the shipped x2, x3, x4 models (trained on T91 by
  ``classicsr train --method aplus``), Y channel by the method, chroma by bicubic;
- :func:`train`: learn a model (PCA, K-SVD dictionary, A+ regressors) from an image folder;
- building blocks: :mod:`.features` (patch features, extraction/aggregation),
  :mod:`.dictionary` (OMP, K-SVD, PCA), :class:`ExampleBasedModel` (save / load).

Examples
--------
>>> import numpy as np
>>> from classicsr import example_based
>>> sr = example_based.pretrained("aplus", scale=2)
>>> sr(np.full((8, 8), 128, np.uint8)).shape
(16, 16)
"""

from __future__ import annotations

from .dictionary import ksvd, omp, pca_basis
from .model import PRETRAINED_SCALES, ExampleBasedModel, anr_regressors, load_model
from .predict import METHODS, ExampleBasedSR, predict_residual, pretrained, upscale
from .train import TRAINABLE, train, training_pairs

__all__ = ["upscale", "pretrained", "train", "ExampleBasedSR", "ExampleBasedModel", "METHODS",
           "TRAINABLE", "PRETRAINED_SCALES", "omp", "ksvd", "pca_basis", "anr_regressors", "load_model",
           "predict_residual", "training_pairs"]
