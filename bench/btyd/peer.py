"""lifetimes' BetaGeoFitter on a frequency,recency,T CSV: fit time (median of RUNS), parameters and
the log-likelihood by Fader, Hardie & Lee's equation (6) at lifetimes' parameters."""
import sys, time
import numpy as np
import pandas as pd
from scipy.special import gammaln
from lifetimes import BetaGeoFitter

path, runs = sys.argv[1], int(sys.argv[2])
d = pd.read_csv(path)
x, tx, T = d["frequency"].to_numpy(), d["recency"].to_numpy(), d["T"].to_numpy()
times = []
for _ in range(runs):
    started = time.perf_counter()
    f = BetaGeoFitter(penalizer_coef=0.0).fit(x, tx, T)
    times.append(time.perf_counter() - started)
r, alpha, a, b = (f.params_[k] for k in ("r", "alpha", "a", "b"))
A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
A3 = -(r + x) * np.log(alpha + T)
A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
ll = (A1 + A2 + np.logaddexp(A3, A4)).sum()
print(f"lifetimes bgnbd: {len(x)} customers, median {sorted(times)[len(times) // 2]:.3f} s of {runs}, r {r:.4f} alpha {alpha:.4f} a {a:.4f} b {b:.4f} LL {ll:.3f}")
