# Recomputes a comparison with pROC (Robin et al. 2011), the established R package for DeLong's
# test, from an exported scores.csv: AUC, DeLong variance, 95% interval and the paired test of each
# model against the first. Prints "name auc variance ci_low ci_high p" with 17 significant digits.
suppressMessages(library(pROC))
args <- commandArgs(trailingOnly = TRUE)
scores <- read.csv(args[1], colClasses = c(user = "character"), check.names = FALSE)
models <- setdiff(names(scores), c("user", "cutoff", "label"))
curves <- lapply(models, function(m) roc(scores$label, scores[[m]], levels = c(0, 1), direction = "<", quiet = TRUE))
f <- function(x) formatC(x, digits = 17, format = "g")
for (k in seq_along(models)) {
  ci <- ci.auc(curves[[k]], method = "delong")
  p <- if (k == 1) 1 else roc.test(curves[[k]], curves[[1]], method = "delong", paired = TRUE)$p.value
  cat(models[k], f(as.numeric(auc(curves[[k]]))), f(var(curves[[k]], method = "delong")), f(ci[1]), f(ci[3]), f(p), "\n")
}
