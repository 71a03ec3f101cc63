"""scikit-learn and LightGBM on the same exported dataset as `recur-bench train`; times the fit alone."""
import sys, time
import numpy as np, pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
import lightgbm as lgb

path, model, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
frame = pd.read_csv(path)
features = [c for c in frame.columns if c not in ("user_id", "cutoff", "label")]
holdout = frame["cutoff"].max()
train, test = frame[frame["cutoff"] != holdout], frame[frame["cutoff"] == holdout]
X, y = train[features].to_numpy(dtype=np.float64), train["label"].to_numpy()
Xt, yt = test[features].to_numpy(dtype=np.float64), test["label"].to_numpy()
times, auc = [], 0.0
for _ in range(runs):
    if model == "logistic":
        # The same preprocessing Recur stores in its artifact: mean-impute, standardise (population std).
        start = time.perf_counter()
        mean = np.nanmean(X, axis=0)
        Xi = np.where(np.isnan(X), mean, X)
        std = Xi.std(axis=0); std[std == 0] = 1
        fitted = LogisticRegression(solver="lbfgs", C=1.0, max_iter=1000).fit((Xi - mean) / std, y)
        times.append(time.perf_counter() - start)
        Xti = np.where(np.isnan(Xt), mean, Xt)
        auc = roc_auc_score(yt, fitted.predict_proba((Xti - mean) / std)[:, 1])
    else:
        start = time.perf_counter()
        params = dict(objective="binary", num_leaves=31, learning_rate=0.1, max_bin=255, num_threads=2,
                      min_data_in_leaf=20, lambda_l2=0.0, verbose=-1)
        booster = lgb.train(params, lgb.Dataset(X, label=y), num_boost_round=200)
        times.append(time.perf_counter() - start)
        auc = roc_auc_score(yt, booster.predict(Xt))
label = "sklearn LogisticRegression(lbfgs)" if model == "logistic" else "lightgbm"
print(f"{label}: train {len(y)} rows x {len(features)}, holdout {len(yt)}; fit seconds "
      + " ".join(f"{t:.3f}" for t in times) + f"; median {sorted(times)[len(times)//2]:.3f}; holdout AUC {auc:.5f}")
