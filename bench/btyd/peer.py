"""lifetimes' fitters on a summary CSV: BetaGeoFitter (bgnbd), ParetoNBDFitter (paretonbd) or
GammaGammaFitter (gammagamma); fit time (median of RUNS) and parameters. For bgnbd also the
log-likelihood by Fader, Hardie & Lee's equation (6) at lifetimes' parameters."""
import sys, time
import numpy as np
import pandas as pd
from scipy.special import gammaln
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

path, runs = sys.argv[1], int(sys.argv[2])
model = sys.argv[3] if len(sys.argv) > 3 else "bgnbd"
d = pd.read_csv(path).rename(columns={"x": "frequency", "t_x": "recency", "zbar": "monetary_value"})
x, tx, T = d["frequency"].to_numpy(), d["recency"].to_numpy(), d["T"].to_numpy()
times = []
for _ in range(runs):
    started = time.perf_counter()
    if model == "bgnbd":
        f = BetaGeoFitter(penalizer_coef=0.0).fit(x, tx, T)
    elif model == "paretonbd":
        f = ParetoNBDFitter(penalizer_coef=0.0).fit(x, tx, T)
    else:
        repeat = d[(d["frequency"] > 0) & (d["monetary_value"] > 0)]
        f = GammaGammaFitter(penalizer_coef=0.0).fit(repeat["frequency"], repeat["monetary_value"])
    times.append(time.perf_counter() - started)
median = sorted(times)[len(times) // 2]
if model == "bgnbd":
    r, alpha, a, b = (f.params_[k] for k in ("r", "alpha", "a", "b"))
    A1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    A2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    A3 = -(r + x) * np.log(alpha + T)
    A4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    ll = (A1 + A2 + np.logaddexp(A3, A4)).sum()
    print(f"lifetimes bgnbd: {len(x)} customers, median {median:.3f} s of {runs}, r {r:.4f} alpha {alpha:.4f} a {a:.4f} b {b:.4f} LL {ll:.3f}")
else:
    params = " ".join(f"{k} {v:.4f}" for k, v in f.params_.items())
    print(f"lifetimes {model}: {len(x)} customers, median {median:.3f} s of {runs}, {params}")
