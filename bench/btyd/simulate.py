"""A (frequency, recency, T) summary in whole days of N customers drawn from a BG/NBD process, with a
mean spend per customer from Gamma-Gamma: a stand-in for a shop's RFM table of any size.
usage: simulate.py N OUT.csv [SEED]"""
import sys
import numpy as np

n, out = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
# Rates per day and dropout close to what the generated shops fit; ages up to two years.
r, alpha, a, b = 0.25, 30.0, 0.8, 2.5
lam = rng.gamma(r, 1 / alpha, n)
p = rng.beta(a, b, n)
T = rng.integers(1, 731, n).astype(float)
x = np.zeros(n)
last = np.zeros(n)
t = np.zeros(n)
alive = np.ones(n, bool)
while alive.any():
    i = np.flatnonzero(alive)
    t[i] += rng.exponential(1 / lam[i])
    bought = t[i] <= T[i]
    j = i[bought]
    x[j] += 1
    last[j] = t[j]
    alive[i[~bought]] = False
    # After each purchase the customer leaves with probability p.
    alive[j[rng.random(len(j)) < p[j]]] = False
recency = np.floor(last)
frequency = x
# Gamma-Gamma: each customer's mean spend per purchase (p 6, q 4, v 15).
nu = rng.gamma(4.0, 1 / 15.0, n)
spend = np.where(x > 0, rng.gamma(6.0 * np.maximum(x, 1), 1 / (nu * np.maximum(x, 1))), 0)
with open(out, "w") as f:
    f.write("frequency,recency,T,monetary_value\n")
    np.savetxt(f, np.column_stack([frequency, recency, T, np.round(spend, 2)]), fmt=["%d", "%d", "%d", "%.2f"], delimiter=",")
print(f"{out}: {n} customers, {int((x > 0).sum())} repeat buyers, {len(set(zip(frequency, recency, T)))} distinct (x, t_x, T)")
