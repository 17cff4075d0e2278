"""Simulation draws that reproduce R's, so HonestDiD results match the R package exactly.

Two quantities in R HonestDiD are Monte Carlo estimates computed after ``set.seed(seed)``: the
least-favourable critical value of the hybrid test (1,000 multivariate normal draws) and the
folded-normal quantile of the FLCI (10^6 normal draws). Their simulation error moves the
confidence limits in the third or fourth significant digit, so matching R's printed output
needs R's own draws. R's default generator is documented (`?RNGkind`): Mersenne-Twister
seeded through a linear congruential scramble of the seed, and normals by inversion of a
uniform built from two 32-bit draws (`?qnorm` precision). `mvtnorm::rmvnorm` fills an n × p
matrix of such normals row by row and multiplies it by the symmetric square root of sigma.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from scipy.special import ndtri

_SCRAMBLE_MULTIPLIER = 69069
_TWO_POW_MINUS_32 = 2.3283064365386963e-10
_TWO_POW_27 = 134217728.0


def _mersenne_twister_key(seed: int) -> np.ndarray:
    """The 624-word state R's set.seed(seed) gives the Mersenne-Twister."""
    state = int(seed) & 0xFFFFFFFF
    for _ in range(50):  # R scrambles the seed 50 times before filling the state
        state = (_SCRAMBLE_MULTIPLIER * state + 1) & 0xFFFFFFFF
    words = []
    for _ in range(625):  # the first word is the position counter, overwritten by R
        state = (_SCRAMBLE_MULTIPLIER * state + 1) & 0xFFFFFFFF
        words.append(state)
    return np.array(words[1:], dtype=np.uint32)


@lru_cache(maxsize=8)
def _standard_normals(count: int, seed: int) -> np.ndarray:
    generator = np.random.MT19937()
    generator.state = {
        "bit_generator": "MT19937",
        "state": {"key": _mersenne_twister_key(seed), "pos": 624},
    }
    uniforms = generator.random_raw(2 * count).astype(np.float64) * _TWO_POW_MINUS_32
    # R keeps uniforms strictly inside (0, 1).
    uniforms[uniforms <= 0.0] = 0.5 * _TWO_POW_MINUS_32
    high, low = uniforms[0::2], uniforms[1::2]
    draws = ndtri((np.floor(_TWO_POW_27 * high) + low) / _TWO_POW_27)
    draws.setflags(write=False)
    return draws


def r_standard_normals(count: int, seed: int) -> np.ndarray:
    """``set.seed(seed); rnorm(count)`` in R (default Mersenne-Twister / Inversion kinds)."""
    return _standard_normals(int(count), int(seed))


def symmetric_root(sigma: np.ndarray) -> np.ndarray:
    """The symmetric square root mvtnorm::rmvnorm multiplies by (negative eigenvalues -> 0)."""
    eigenvalues, eigenvectors = np.linalg.eigh(sigma)
    return (eigenvectors * np.sqrt(np.maximum(eigenvalues, 0.0))) @ eigenvectors.T


def r_normal_matrix(count: int, dimension: int, seed: int) -> np.ndarray:
    """The count × dimension standard normals ``rmvnorm`` draws after ``set.seed(seed)``."""
    return r_standard_normals(count * dimension, seed).reshape(count, dimension)


def r_multivariate_normals(count: int, sigma: np.ndarray, seed: int) -> np.ndarray:
    """``set.seed(seed); mvtnorm::rmvnorm(count, sigma = sigma)`` (its default eigen method)."""
    return r_normal_matrix(count, sigma.shape[0], seed) @ symmetric_root(sigma)


def r_quantile(values: np.ndarray, probability: float) -> float:
    """R's default (type 7) sample quantile."""
    ordered = np.sort(values)
    index = 1 + (len(ordered) - 1) * probability
    low = int(np.floor(index))
    high = int(np.ceil(index))
    fraction = index - low
    lower_value = ordered[low - 1]
    if fraction == 0 or ordered[high - 1] == lower_value:
        return float(lower_value)
    return float((1 - fraction) * lower_value + fraction * ordered[high - 1])


class SimulatedFoldedNormalQuantile:
    """Quantile of |N(mu, 1)| estimated as R HonestDiD does, from 10^6 seeded draws.

    Each call selects the needed order statistics of |Z + mu| from the sorted draws in
    O(log n) instead of re-sorting a million values.
    """

    def __init__(self, seed: int, count: int = 10**6):
        self._sorted = np.sort(r_standard_normals(count, seed))

    def __call__(self, mu: float, probability: float) -> float:
        count = len(self._sorted)
        index = 1 + (count - 1) * probability
        low = int(np.floor(index))
        fraction = index - low
        lower_value = self._order_statistic(mu, low - 1)
        if fraction == 0:
            return lower_value
        upper_value = self._order_statistic(mu, low)
        return (1 - fraction) * lower_value + fraction * upper_value

    def _order_statistic(self, mu: float, rank: int) -> float:
        """The rank-th smallest (0-based) of |z + mu| over the draws z."""
        z = self._sorted
        # |z + mu| is increasing in z above -mu and decreasing below: two sorted runs.
        split = int(np.searchsorted(z, -mu, side="left"))
        n_above, n_below = len(z) - split, split

        def above(i: int) -> float:  # i-th smallest of z + mu over z >= -mu
            return z[split + i] + mu

        def below(j: int) -> float:  # j-th smallest of -(z + mu) over z < -mu
            return -(z[split - 1 - j] + mu)

        take = rank + 1
        low, high = max(0, take - n_below), min(take, n_above)
        while low < high:  # number of elements taken from the `above` run
            i = (low + high) // 2
            if i < n_above and take - i > 0 and below(take - i - 1) > above(i):
                low = i + 1
            else:
                high = i
        candidates = []
        if low > 0:
            candidates.append(above(low - 1))
        if take - low > 0:
            candidates.append(below(take - low - 1))
        return float(max(candidates))
