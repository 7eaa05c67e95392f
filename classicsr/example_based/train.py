"""Offline training of Zeyde / ANR / A+ on a folder of HR images (T91 in the papers)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from .. import _validate as V
from . import features as F
from .dictionary import ksvd, pca_basis
from .model import ExampleBasedModel

__all__ = ["train", "training_pairs", "TRAINABLE"]

#: Methods this trainer fits (all three share one dictionary).
TRAINABLE = ("zeyde", "anr", "aplus")
_IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff", ".ppm", ".pgm")


def _load_images(images):
    if isinstance(images, (str, Path)):
        p = Path(images)
        if p.is_dir():
            files = sorted(q for q in p.iterdir() if q.suffix.lower() in _IMAGE_SUFFIXES and q.is_file())
            if not files:
                raise ValueError(f"images: the folder {p} holds no images ({', '.join(_IMAGE_SUFFIXES)})")
            return files
        if p.is_file():
            return [p]
        raise FileNotFoundError(f"images: {p} does not exist")
    try:
        items = list(images)
    except TypeError:
        raise TypeError(f"images must be a folder, a file, or a list of paths/arrays, got {type(images).__name__}") from None
    if not items:
        raise ValueError("images must name at least one training image, got none")
    return items


def _read(item):
    if isinstance(item, (str, Path)):
        from ..io import read_image

        return read_image(item)
    return V.as_image(item, "images[i]")


def _luma(image: np.ndarray) -> np.ndarray:
    """Float luma on the [0, 1] (BT.601) scale, or the grey plane scaled the same way."""
    if image.dtype.kind == "u":
        x = image.astype(np.float64) / float(np.iinfo(image.dtype).max)
    else:
        x = image.astype(np.float64)
    if x.ndim == 3:
        from ..color import rgb_to_ycbcr

        if x.shape[-1] == 4:
            x = x[..., :3]
        if x.shape[-1] != 3:
            raise ValueError(f"training images must be grayscale or RGB(A), got {x.shape[-1]} channels")
        return rgb_to_ycbcr(x)[..., 0]
    return x


def training_pairs(images, scale: int, *, pyramid_levels: int = 12, pyramid_factor: float = 0.98):
    """Yield ``(y_bicubic, y_hr)`` float64 luma pairs for training, one per image and level.

    Each HR image is shrunk to ``pyramid_factor ** k`` of its size for ``k < pyramid_levels``
    (MATLAB bicubic, kept in the image's dtype), mod-cropped to the scale, degraded to LR with
    MATLAB bicubic ``1/scale`` (replicate boundary, per-pass rounding: the benchmark
    protocol), and the LR is upscaled back with MATLAB bicubic.  Pairs smaller than one patch
    are skipped.
    """
    from ..degrade import modcrop
    from ..resize import resize

    size = F.patch_size(scale)
    for item in images:
        img = _read(item)
        if img.ndim == 3 and img.shape[-1] == 4:
            img = img[..., :3]
        for k in range(pyramid_levels):
            f = pyramid_factor ** k
            hr = img if k == 0 else resize(img, f)
            hr = modcrop(hr, scale)
            if min(hr.shape[:2]) < size:
                continue
            lr = resize(hr, 1.0 / scale, boundary="replicate")
            y_hr = _luma(hr)
            y_bic = resize(_luma(lr), scale)
            yield y_bic, y_hr


def _grid(shape, scale):
    return F.patch_grid(shape, F.patch_size(scale), scale)


def _collect(images, scale, prob, rng, *, project=None, levels, factor, bar):
    feats, targets = [], []
    size = F.patch_size(scale)
    for y_bic, y_hr in training_pairs(images, scale, pyramid_levels=levels, pyramid_factor=factor):
        rows, cols = _grid(y_bic.shape, scale)
        keep = rng.random(rows.shape[0]) < prob
        rows, cols = rows[keep], cols[keep]
        if rows.size == 0:
            continue
        planes = F.filter_planes(y_bic.astype(np.float32), scale)
        f = F.extract_patches(planes, rows, cols, size)
        if project is not None:
            f = f @ project
        feats.append(f)
        targets.append(F.extract_patches((y_hr - y_bic).astype(np.float32), rows, cols, size))
        if bar is not None:
            bar.update(1)
    if not feats:
        raise ValueError("no training patches: the images are smaller than one patch at this scale")
    return np.concatenate(feats), np.concatenate(targets)


def _count_patches(images, scale, levels, factor):
    from ..resize import output_size

    size = F.patch_size(scale)
    total = 0
    shapes = []
    for item in images:
        if isinstance(item, (str, Path)):
            from PIL import Image

            with Image.open(item) as im:
                w, h = im.size
        else:
            h, w = np.asarray(item).shape[:2]
        shapes.append((h, w))
        for k in range(levels):
            f = factor ** k
            hh, ww = (h, w) if k == 0 else (output_size(h, f), output_size(w, f))
            hh -= hh % scale
            ww -= ww % scale
            if min(hh, ww) >= size:
                total += ((hh - size) // scale + 1) * ((ww - size) // scale + 1)
    return total


def _aplus_regressors(feats, targets, dict_lo, neighbors, lam, *, min_norm=1e-3, chunk=32768, bar=None):
    norms = np.linalg.norm(feats, axis=1)
    keep = norms > min_norm
    fn = np.ascontiguousarray(feats[keep] / norms[keep, None], dtype=np.float32)
    hn = np.ascontiguousarray(targets[keep] / norms[keep, None], dtype=np.float32)
    n = fn.shape[0]
    k = dict_lo.shape[0]
    neighbors = min(int(neighbors), n)
    d32 = dict_lo.astype(np.float32)
    best_val = np.full((k, 0), -np.inf, dtype=np.float32)
    best_idx = np.zeros((k, 0), dtype=np.int64)
    for start in range(0, n, chunk):
        stop = min(n, start + chunk)
        corr = np.abs(d32 @ fn[start:stop].T)
        vals = np.concatenate([best_val, corr], axis=1)
        idxs = np.concatenate([best_idx, np.broadcast_to(np.arange(start, stop), (k, stop - start))], axis=1)
        if vals.shape[1] > neighbors:
            part = np.argpartition(-vals, neighbors - 1, axis=1)[:, :neighbors]
            best_val = np.take_along_axis(vals, part, axis=1)
            best_idx = np.take_along_axis(idxs, part, axis=1)
        else:
            best_val, best_idx = vals, idxs
        if bar is not None:
            bar.update(stop - start)
    d = fn.shape[1]
    p = hn.shape[1]
    out = np.empty((k, p, d), dtype=np.float32)
    eye = lam * np.eye(d)
    for j in range(k):
        lo = fn[best_idx[j]].astype(np.float64)
        hi = hn[best_idx[j]].astype(np.float64)
        out[j] = np.linalg.solve(lo.T @ lo + eye, lo.T @ hi).T
    return out


def train(images, scale: int, *, methods=TRAINABLE, n_atoms: int = 1024, sparsity: int = 3,
          ksvd_iterations: int = 20, dictionary_samples: int = 100_000, aplus_samples: int = 1_000_000,
          aplus_neighbors: int = 2048, aplus_lambda: float = 0.1, anr_neighbors: int = 40,
          anr_lambda: float = 0.01, pyramid_levels: int = 12, pyramid_factor: float = 0.98,
          pca_energy: float = 0.999, seed: int = 0, progress: bool = False, log=None) -> ExampleBasedModel:
    """Train Zeyde / ANR / A+ for one scale on HR images.

    Parameters
    ----------
    images : str, Path or sequence
        A folder of images, one image file, or a list of paths / arrays (uint8/uint16 or float
        in [0, 1]; grayscale or RGB).  The papers use T91.
    scale : int
        Integer upscaling factor (>= 2).
    methods : sequence of {'zeyde', 'anr', 'aplus'}
        Which predictors to fit.  The dictionary (Zeyde and ANR) is always learned; A+
        regressors only when ``'aplus'`` is listed.
    n_atoms, sparsity, ksvd_iterations : int
        K-SVD dictionary size, OMP sparsity, iterations (papers: 1024, 3, 20-40).
    dictionary_samples : int
        About how many patches (drawn uniformly from all images and pyramid levels) train the
        PCA and the dictionary.
    aplus_samples : int
        About how many patches form A+'s pool of training neighbourhoods.
    aplus_neighbors, aplus_lambda : int, float
        A+ neighbourhood size and ridge parameter (paper: 2048, 0.1).
    anr_neighbors, anr_lambda : int, float
        ANR neighbourhood size (atoms) and ridge parameter (paper: 40, 0.01).
    pyramid_levels, pyramid_factor : int, float
        Scale augmentation: each image is also used shrunk by ``pyramid_factor ** k``,
        ``k < pyramid_levels`` (A+: 12 levels, 0.98).
    pca_energy : float
        Fraction of the feature energy kept by PCA (Zeyde: 0.999).
    seed : int
        Seed of every random choice (patch sampling, dictionary initialisation, atom order).
    progress : bool
        Show tqdm progress bars on stderr.
    log : callable, optional
        ``log(message)`` for stage messages and timings.

    Returns
    -------
    ExampleBasedModel
        ``model.info`` records the settings, sample counts and stage times.

    Notes
    -----
    Pairs (LR, HR) follow the evaluation protocol (:func:`training_pairs`).  Features are the
    PCA-projected gradient/Laplacian patches of the bicubic image; targets are the residual
    patches :math:`HR - \\text{bicubic}` (:mod:`classicsr.example_based.features`).

    1. PCA basis :math:`V` of the raw features (uncentred, ``pca_energy``).
    2. K-SVD dictionary :math:`D_l` on the projected features; sparse codes :math:`\\Gamma`.
    3. Zeyde's HR dictionary :math:`D_h = \\arg\\min \\|H - \\Gamma D_h\\|_F`
       (:math:`D_h = (\\Gamma^T\\Gamma)^{-1}\\Gamma^T H`, rows as atoms).
    4. A+: the features of a large pool are normalised to unit length (targets scaled by the
       same factor); for each atom :math:`j` the ``aplus_neighbors`` samples with the largest
       :math:`|d_j^T f|` give :math:`P_j = H_N^T F_N (F_N^T F_N + \\lambda I)^{-1}`.
    5. ANR regressors come from the dictionaries alone (computed when first used).

    Examples
    --------
    >>> import numpy as np
    >>> from classicsr.example_based import train
    >>> rng = np.random.default_rng(0)
    >>> imgs = [(rng.random((40, 40)) * 255).astype(np.uint8) for _ in range(2)]
    >>> m = train(imgs, 2, n_atoms=16, ksvd_iterations=2, pyramid_levels=1,
    ...           dictionary_samples=500, aplus_samples=500, aplus_neighbors=64)
    >>> m.scale, m.dict_lo.shape[0], m.aplus.shape[0]
    (2, 16, 16)
    """
    scale = V.check_int("scale", scale, minimum=2, maximum=16)
    if isinstance(methods, str):
        methods = [methods]
    methods = tuple(V.check_choice("methods[i]", m, TRAINABLE) for m in methods)
    if not methods:
        raise ValueError(f"methods must list at least one of {list(TRAINABLE)}")
    n_atoms = V.check_int("n_atoms", n_atoms, minimum=2)
    sparsity = V.check_int("sparsity", sparsity, minimum=1, maximum=n_atoms)
    ksvd_iterations = V.check_int("ksvd_iterations", ksvd_iterations, minimum=0)
    dictionary_samples = V.check_int("dictionary_samples", dictionary_samples, minimum=n_atoms)
    aplus_samples = V.check_int("aplus_samples", aplus_samples, minimum=1)
    aplus_neighbors = V.check_int("aplus_neighbors", aplus_neighbors, minimum=1)
    anr_neighbors = V.check_int("anr_neighbors", anr_neighbors, minimum=1)
    pyramid_levels = V.check_int("pyramid_levels", pyramid_levels, minimum=1)
    aplus_lambda = V.check_positive_number("aplus_lambda", aplus_lambda, allow_zero=True)
    anr_lambda = V.check_positive_number("anr_lambda", anr_lambda, allow_zero=True)
    pyramid_factor = V.check_positive_number("pyramid_factor", pyramid_factor)
    if pyramid_factor > 1:
        raise ValueError(f"pyramid_factor must be in (0, 1], got {pyramid_factor}")
    pca_energy = V.check_positive_number("pca_energy", pca_energy)
    if pca_energy > 1:
        raise ValueError(f"pca_energy must be in (0, 1], got {pca_energy}")
    seed = V.check_int("seed", seed, minimum=0)
    V.check_bool("progress", progress)
    log = log or (lambda message: None)
    items = _load_images(images)
    rng = np.random.default_rng(seed)
    times = {}
    t0 = time.perf_counter()

    def bar(total, desc, unit="it"):
        if not progress:
            return None
        from tqdm import tqdm

        return tqdm(total=total, desc=desc, unit=unit, leave=False)

    total = _count_patches(items, scale, pyramid_levels, pyramid_factor)
    if total < n_atoms:
        raise ValueError(f"the images give only {total} patches at scale {scale}, fewer than n_atoms={n_atoms}")
    n_pairs = len(items) * pyramid_levels
    log(f"x{scale}: {len(items)} images x {pyramid_levels} levels, {total} patches in all")

    # 1. dictionary pool, PCA
    b = bar(n_pairs, f"x{scale} patches (dictionary)")
    raw, tgt = _collect(items, scale, min(1.0, dictionary_samples / total), rng,
                        levels=pyramid_levels, factor=pyramid_factor, bar=b)
    if b is not None:
        b.close()
    if raw.shape[0] < n_atoms:
        raise ValueError(f"only {raw.shape[0]} patches were drawn, fewer than n_atoms={n_atoms}; "
                         "raise dictionary_samples or give more images")
    pca = pca_basis(raw, pca_energy)
    feats = raw.astype(np.float64) @ pca
    del raw
    times["collect_pca_s"] = time.perf_counter() - t0
    log(f"x{scale}: {feats.shape[0]} dictionary patches, PCA {pca.shape[0]} -> {pca.shape[1]} dims "
        f"({times['collect_pca_s']:.1f} s)")

    # 2. K-SVD
    t1 = time.perf_counter()
    b = bar(ksvd_iterations, f"x{scale} K-SVD")

    def on_iter(it, rmse):
        if b is not None:
            b.update(1)
            b.set_postfix(rmse=f"{rmse:.4g}")

    dict_lo, idx, coef = ksvd(feats, n_atoms, sparsity, iterations=ksvd_iterations, seed=rng, progress=on_iter)
    if b is not None:
        b.close()
    times["ksvd_s"] = time.perf_counter() - t1

    # 3. Zeyde's HR dictionary (least squares with a tiny ridge for unused atoms)
    from .dictionary import _sparse_matrix

    gam = _sparse_matrix(idx, coef, n_atoms)
    gtg = (gam.T @ gam).toarray()
    gth = gam.T @ tgt.astype(np.float64)
    ridge = 1e-8 * max(1.0, float(np.trace(gtg)) / n_atoms)
    dict_hi = np.linalg.solve(gtg + ridge * np.eye(n_atoms), gth)
    log(f"x{scale}: K-SVD {n_atoms} atoms, L={sparsity}, {ksvd_iterations} iterations ({times['ksvd_s']:.1f} s)")
    del feats, tgt

    # 4. A+
    aplus = None
    if "aplus" in methods:
        t2 = time.perf_counter()
        b = bar(n_pairs, f"x{scale} patches (A+ pool)")
        fa, ha = _collect(items, scale, min(1.0, aplus_samples / total), rng, project=pca.astype(np.float32),
                          levels=pyramid_levels, factor=pyramid_factor, bar=b)
        if b is not None:
            b.close()
        b = bar(fa.shape[0], f"x{scale} A+ neighbours", unit="patch")
        aplus = _aplus_regressors(fa, ha, dict_lo, aplus_neighbors, aplus_lambda, bar=b)
        if b is not None:
            b.close()
        times["aplus_s"] = time.perf_counter() - t2
        log(f"x{scale}: A+ pool {fa.shape[0]} patches, {aplus_neighbors} neighbours/atom ({times['aplus_s']:.1f} s)")
        pool = int(fa.shape[0])
        del fa, ha
    times["total_s"] = time.perf_counter() - t0
    info = {
        "images": len(items), "pyramid_levels": pyramid_levels, "pyramid_factor": pyramid_factor,
        "total_patches": int(total), "dictionary_patches": int(idx.shape[0]), "pca_energy": pca_energy,
        "n_atoms": n_atoms, "ksvd_iterations": ksvd_iterations, "seed": seed,
        "aplus_neighbors": aplus_neighbors if aplus is not None else None,
        "aplus_lambda": aplus_lambda if aplus is not None else None,
        "aplus_pool": pool if aplus is not None else None,
        "times": {k: round(v, 2) for k, v in times.items()},
    }
    return ExampleBasedModel(scale=scale, pca=pca.astype(np.float32), dict_lo=dict_lo.astype(np.float32),
                             dict_hi=dict_hi.astype(np.float32), aplus=aplus, sparsity=sparsity,
                             anr_neighbors=anr_neighbors, anr_lambda=anr_lambda, info=info)
