"""The trained parameters of Zeyde / ANR / A+ for one scale, with save/load and pretrained()."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from .. import _validate as V

__all__ = ["ExampleBasedModel", "anr_regressors", "pretrained_path", "load_model", "PRETRAINED_SCALES"]

#: Scales with a model shipped in ``classicsr/example_based/models``.
PRETRAINED_SCALES = (2, 3, 4)
_FORMAT = 1


def anr_regressors(dict_lo: np.ndarray, dict_hi: np.ndarray, neighbors: int = 40, lam: float = 0.01) -> np.ndarray:
    """ANR's global anchored regressors, one per atom (Timofte, De Smet & Van Gool, ICCV 2013).

    Parameters
    ----------
    dict_lo : (K, d) ndarray
        Low-resolution (feature) atoms, unit-norm rows.
    dict_hi : (K, p) ndarray
        The matching high-resolution atoms.
    neighbors : int
        Atoms in each anchor's neighbourhood (the anchor and its most correlated atoms).
    lam : float
        Ridge parameter.

    Returns
    -------
    regressors : (K, p, d) float32 ndarray

    Notes
    -----
    For atom :math:`j` with neighbourhood :math:`N_j` (largest :math:`|d_j^T d_k|`),

    .. math:: P_j = D_{h,N_j} (D_{l,N_j}^T D_{l,N_j} + \\lambda I)^{-1} D_{l,N_j}^T

    with atoms as columns, written here in the equivalent small form
    :math:`D_{h,N} D_{l,N}^T (D_{l,N} D_{l,N}^T + \\lambda I)^{-1}` (push-through identity).
    """
    k, d = dict_lo.shape
    neighbors = min(int(neighbors), k)
    corr = np.abs(dict_lo @ dict_lo.T)
    nn = np.argpartition(-corr, neighbors - 1, axis=1)[:, :neighbors]
    out = np.empty((k, dict_hi.shape[1], d), dtype=np.float32)
    eye = lam * np.eye(d)
    for j in range(k):
        lo = dict_lo[nn[j]].astype(np.float64)   # (n, d)
        hi = dict_hi[nn[j]].astype(np.float64)   # (n, p)
        out[j] = np.linalg.solve(lo.T @ lo + eye, lo.T @ hi).T
    return out


@dataclass
class ExampleBasedModel:
    """Trained parameters of the three example-based predictors for one scale.

    Attributes
    ----------
    scale : int
        Integer upscaling factor.
    pca : (4 * (3 s)^2, d) float32 ndarray
        Projection of the raw gradient features onto ``d`` principal components.
    dict_lo : (K, d) float32 ndarray
        Low-resolution dictionary (unit-norm rows), learned by K-SVD on the projected features.
    dict_hi : (K, (3 s)^2) float32 ndarray
        High-resolution dictionary (residual patches) for the same sparse codes (Zeyde).
    aplus : (K, (3 s)^2, d) float32 ndarray or None
        A+ regressors, one per atom.
    sparsity : int
        OMP sparsity used by Zeyde's predictor.
    anr_neighbors, anr_lambda : int, float
        ANR neighbourhood size and ridge parameter (regressors computed when first needed).
    info : dict
        Training metadata (data, seed, sizes, times), stored with the model.
    """

    scale: int
    pca: np.ndarray
    dict_lo: np.ndarray
    dict_hi: np.ndarray
    aplus: np.ndarray | None = None
    sparsity: int = 3
    anr_neighbors: int = 40
    anr_lambda: float = 0.01
    info: dict = field(default_factory=dict)
    _anr: np.ndarray | None = field(default=None, repr=False, compare=False)
    _transposed: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_atoms(self) -> int:
        return int(self.dict_lo.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.dict_lo.shape[1])

    @property
    def methods(self) -> tuple[str, ...]:
        """The predictors this model supports."""
        return ("zeyde", "anr", "aplus") if self.aplus is not None else ("zeyde", "anr")

    def anr(self) -> np.ndarray:
        """ANR regressors ``(K, p, d)`` (computed from the dictionaries once, then cached)."""
        if self._anr is None:
            self._anr = anr_regressors(self.dict_lo, self.dict_hi, self.anr_neighbors, self.anr_lambda)
        return self._anr

    def regressors(self, method: str) -> np.ndarray:
        if method == "anr":
            return self.anr()
        if method == "aplus":
            if self.aplus is None:
                raise ValueError("this model has no A+ regressors (trained without 'aplus'); "
                                 f"use one of {list(self.methods)}")
            return self.aplus
        raise ValueError(f"method must be 'anr' or 'aplus' for regressors, got {method!r}")

    def regressors_t(self, method: str) -> np.ndarray:
        """The regressors transposed to ``(K, d, p)`` float32, C-contiguous (cached)."""
        if method not in self._transposed:
            self._transposed[method] = np.ascontiguousarray(np.swapaxes(self.regressors(method), 1, 2),
                                                            dtype=np.float32)
        return self._transposed[method]

    # ---- storage -------------------------------------------------------------------------
    def save(self, path, *, overwrite: bool = False, aplus_dtype="int8") -> Path:
        """Write the model as a compressed ``.npz``; the file is written atomically and an
        existing file is kept unless ``overwrite``.

        ``aplus_dtype`` is the storage of the A+ regressors: ``'int8'`` (default; one float32
        scale per atom and output row, ``P ~ q * scale / 127``: the shipped x2 model scores the
        same Set5 PSNR as float32 to 0.001 dB at 60% of the float16 size), ``'float16'`` or
        ``'float32'``.
        """
        path = Path(path)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite=True to replace it")
        arrays = {
            "pca": self.pca.astype(np.float32),
            "dict_lo": self.dict_lo.astype(np.float32),
            "dict_hi": self.dict_hi.astype(np.float32),
        }
        if self.aplus is not None:
            arrays.update(_pack_regressors(self.aplus, aplus_dtype))
        meta = {"format": _FORMAT, "scale": int(self.scale), "sparsity": int(self.sparsity),
                "anr_neighbors": int(self.anr_neighbors), "anr_lambda": float(self.anr_lambda),
                "info": self.info}
        arrays["meta"] = np.frombuffer(json.dumps(meta, default=str).encode(), dtype=np.uint8)
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)
        from ..io import write_bytes

        write_bytes(path, buf.getvalue(), overwrite=overwrite)  # atomic, fsynced, no temp file left
        return path

    @classmethod
    def load(cls, path_or_file) -> "ExampleBasedModel":
        """Read a model written by :meth:`save`."""
        with np.load(path_or_file, allow_pickle=False) as z:
            meta = json.loads(bytes(z["meta"]).decode())
            if meta.get("format") != _FORMAT:
                raise ValueError(f"unsupported model format {meta.get('format')!r} (expected {_FORMAT})")
            aplus = _unpack_regressors(z) if "aplus" in z.files else None
            return cls(scale=int(meta["scale"]), pca=z["pca"].astype(np.float32),
                       dict_lo=z["dict_lo"].astype(np.float32), dict_hi=z["dict_hi"].astype(np.float32),
                       aplus=aplus, sparsity=int(meta["sparsity"]), anr_neighbors=int(meta["anr_neighbors"]),
                       anr_lambda=float(meta["anr_lambda"]), info=meta.get("info", {}))


def _pack_regressors(reg: np.ndarray, dtype) -> dict:
    dtype = str(np.dtype(dtype)) if dtype != "int8" else "int8"
    if dtype == "int8":
        # one float32 scale per (atom, output row): reg ~ q * s / 127
        s = np.abs(reg).max(axis=2, keepdims=True).astype(np.float32)
        s[s == 0] = 1.0
        q = np.clip(np.round(reg / s * 127.0), -127, 127).astype(np.int8)
        return {"aplus": q, "aplus_scale": s}
    if dtype not in ("float16", "float32"):
        raise ValueError(f"aplus_dtype must be 'float16', 'float32' or 'int8', got {dtype!r}")
    return {"aplus": reg.astype(dtype)}


def _unpack_regressors(z) -> np.ndarray:
    a = z["aplus"]
    if a.dtype == np.int8:
        return (a.astype(np.float32) * (z["aplus_scale"] / np.float32(127.0))).astype(np.float32)
    return np.ascontiguousarray(a, dtype=np.float32)


def pretrained_path(scale: int):
    """The shipped model file for ``scale`` (a :mod:`importlib.resources` traversable)."""
    scale = V.check_int("scale", scale)
    if scale not in PRETRAINED_SCALES:
        raise ValueError(f"no pretrained example-based model for scale={scale}; shipped scales are "
                         f"{list(PRETRAINED_SCALES)} (train one with classicsr.example_based.train)")
    return resources.files("classicsr.example_based").joinpath("models", f"x{scale}.npz")


_CACHE: dict = {}


def load_model(scale: int) -> ExampleBasedModel:
    """Load (once per process) the shipped model for ``scale``."""
    ref = pretrained_path(scale)
    if scale not in _CACHE:
        if not ref.is_file():
            raise FileNotFoundError(f"the shipped model {ref} is missing from this installation "
                                    "(reinstall classicsr, or train one with classicsr train --method aplus)")
        with ref.open("rb") as f:
            _CACHE[scale] = ExampleBasedModel.load(io.BytesIO(f.read()))
    return _CACHE[scale]
