"""classicsr._config: the Numba options and the environment variables read at import."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from classicsr import _config


def test_jit_falls_back_to_no_cache_when_numba_has_no_cache_folder(monkeypatch):
    """Numba raises ``RuntimeError: cannot cache function ...: no locator available`` at
    decoration when neither the package folder, NUMBA_CACHE_DIR nor the user's cache folder is
    writable; classicsr then compiles without the cache and says so once."""
    from numba.core import caching

    impl = getattr(caching, "CacheImpl", None) or caching._CacheImpl  # renamed in numba 0.61
    monkeypatch.setattr(impl, "_locator_classes", [])
    monkeypatch.setattr(_config, "_CACHE_UNAVAILABLE", False)
    monkeypatch.setattr(_config, "NUMBA_CACHE", True)

    def twice(x):
        return 2 * x

    def thrice(x):
        return 3 * x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        f = _config.jit(twice)
        g = _config.jit(thrice)
    messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(messages) == 1, messages  # once, not once per kernel
    assert "NUMBA_CACHE_DIR" in messages[0] and "CLASSICSR_NUMBA_CACHE=0" in messages[0]
    assert f(4) == 8 and g(4) == 12
    assert isinstance(f._cache, caching.NullCache) and isinstance(g._cache, caching.NullCache)


def test_jit_reraises_other_runtime_errors(monkeypatch):
    import numba

    def broken(**options):
        raise RuntimeError("something else")

    monkeypatch.setattr(numba, "njit", broken)
    monkeypatch.setattr(_config, "_CACHE_UNAVAILABLE", False)
    monkeypatch.setattr(_config, "NUMBA_CACHE", True)
    with pytest.raises(RuntimeError, match="something else"):
        _config.jit(lambda x: x)


def test_resize_works_in_a_process_without_a_numba_cache_folder():
    # Numba's own switch for the locators: the IPython one finds nothing outside IPython, as
    # every locator does on a read-only install run with an unwritable HOME
    from numba.core import caching

    name = "IPythonCacheLocator"
    if not hasattr(caching, name):  # named with an underscore before numba 0.61
        name = "_" + name
    env = dict(os.environ, NUMBA_CACHE_LOCATOR_CLASSES=name)
    code = ("import numpy as np, classicsr\n"
            "x = np.arange(16.0).reshape(4, 4)\n"
            "print(classicsr.resize(x, 2, method='bilinear')[3, 3])\n")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "cannot cache compiled kernels" in proc.stderr
    x = np.arange(16.0).reshape(4, 4)
    import classicsr

    assert float(proc.stdout) == classicsr.resize(x, 2, method="bilinear")[3, 3]


# each variable, and the value it sets as read back after import
_READ_BACK = {
    "CLASSICSR_MAX_OUTPUT_BYTES": "from classicsr import _config; print(_config.MAX_OUTPUT_BYTES)",
    "CLASSICSR_OUTPUT_POOL_BYTES": "import classicsr; print(classicsr.get_output_pool())",
}


@pytest.mark.parametrize("name", sorted(_READ_BACK))
@pytest.mark.parametrize("value,ok", [("0", True), ("1048576", True), ("-5", False), ("x", False)])
def test_byte_limits_from_the_environment(name, value, ok):
    env = dict(os.environ, **{name: value})
    proc = subprocess.run([sys.executable, "-c", _READ_BACK[name]], env=env, capture_output=True,
                          text=True)
    if ok:
        assert proc.returncode == 0, proc.stderr
        assert int(proc.stdout) == int(value)
    else:
        assert proc.returncode != 0
        assert name in proc.stderr
